export * from './append-only-journal';
export * from './fault-book';
export * from './gateway-page';
