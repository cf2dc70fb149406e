export * from './lib/sftp-destination.config';
export * from './lib/sftp-destination';
