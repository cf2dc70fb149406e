export * from './core-banking-rest';
export * from './core-banking-sftp';
export * from './core-banking-soap';
export * from './default-registry';
export * from './mapping';
export * from './mapping-registry';
export * from './wire-validation';
