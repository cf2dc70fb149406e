export * from './append-only-journal';
export * from './fault-book';
