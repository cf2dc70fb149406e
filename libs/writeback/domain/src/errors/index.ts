export * from './closeout-error';
export * from './writeback-errors';
