import { CreateReconciler1796000000000 } from './1796000000000-create-reconciler.migration';
import { SecondLineBreaks1796100000000 } from './1796100000000-second-line-breaks.migration';
import { ReconcilerOutbox1796200000000 } from './1796200000000-reconciler-outbox.migration';
import { OutboxTraceContext1796900000000 } from './1796900000000-outbox-trace-context.migration';
import { CaseEnds1797000000000 } from './1797000000000-case-ends.migration';

/** Every migration of the reconciler's schema, oldest first. A new migration is a new file added at the end. */
export const reconcilerMigrations = [
  CreateReconciler1796000000000,
  SecondLineBreaks1796100000000,
  ReconcilerOutbox1796200000000,
  OutboxTraceContext1796900000000,
  CaseEnds1797000000000,
];
