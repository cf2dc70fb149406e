// Test support for the writeback services, their integration tests, the fault-and-crash harness and benchmarks.
// Not exported from the library's index: production code never imports it.
export * from './test-support/fresh-writeback-schema';
export * from './test-support/sample-writeback-requests';
export * from './test-support/polling';
export * from './test-support/hostile-core-rig';
export * from './test-support/destination-failure';
