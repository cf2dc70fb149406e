// The Nest wiring of a writeback service (consumer, worker, breakers, relay, readiness). A separate entry point so
// that the ledger, worker and adapters stay usable without Nest: scripts, harnesses and tests import the index.
export * from './lib/service/writeback-service.module';
export * from './lib/service/writeback-app';
