export * from './lib/classify-soap-fault';
export * from './lib/soap-destination.config';
export * from './lib/soap-destination';
