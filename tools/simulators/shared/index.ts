export * from './append-only-journal';
export * from './canonical-json';
export * from './cli';
export * from './client-behaviour-stats';
export * from './fault-book';
export * from './gateway-page';
export * from './http-server';
export * from './sim-admin';
