// Test support: a writeback service wired to a REST destination, for integration tests of the service and of its
// peers (the reconciler). Not exported from the library's index: production code never imports it.
export * from './test-support/rest-writeback-test-service';
