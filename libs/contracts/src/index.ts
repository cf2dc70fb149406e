export * from './generated';
export * from './topics';
export * from './currencies';
