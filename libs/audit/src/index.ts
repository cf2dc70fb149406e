export * from './audit-event';
export * from './audit.emitter';
export * from './audit.module';
