export * from './core-banking-sftp.mappings';
