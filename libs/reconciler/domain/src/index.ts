export * from './assert-unreachable';
export * from './breaks/break-kinds';
export * from './breaks/detect-breaks';
export * from './slo/percentile';
export * from './slo/slo-figures';
export * from './slo/slo-report';
export * from './alerts/alert-plan';
