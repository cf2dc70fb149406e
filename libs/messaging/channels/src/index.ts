export * from './lib/channel-provider';
