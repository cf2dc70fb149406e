export * from './context';
export * from './logger';
export * from './message-traces';
export * from './tracing';
export * from './http-server-span';
export * from './http-client-span';
export * from './db-span';
