export * from './workflow-error';
export * from './workflow-errors';
