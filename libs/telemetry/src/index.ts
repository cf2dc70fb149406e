export * from './context';
export * from './logger';
export * from './message-traces';
export * from './tracing';
