export * from './health/readiness.registry';
export * from './health/health.module';
export * from './health/health.controller';
export * from './database/database.module';
export * from './bootstrap/bootstrap';
export * from './core/core.module';
export * from './http/bearer-auth';
export * from './http/configure-http';
