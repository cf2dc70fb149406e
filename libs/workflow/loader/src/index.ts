export * from './definition-files';
export * from './golden-files';
export { runReadinessGate } from './readiness-gate.cli';
