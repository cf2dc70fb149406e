export * from './lib/classify-http-failure';
export * from './lib/rest-destination.config';
export * from './lib/rest-destination';
