export * from './lib/outbox.errors';
export * from './lib/outbox-message';
export * from './lib/outbox-relay';
export * from './lib/outbox-schema';
export * from './lib/outbox-set-aside';
export * from './lib/outbox-tables';
export * from './lib/outbox-relay.service';
export * from './lib/first-deliveries';
