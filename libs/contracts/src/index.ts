export * from './generated';
export * from './topics';
