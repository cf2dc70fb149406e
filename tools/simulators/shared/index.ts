export * from './append-only-journal';
