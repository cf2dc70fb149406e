import { Counter } from 'prom-client';

export const auditStoreMetrics = {
  stored: new Counter({
    name: 'closeout_audit_records_stored_total',
    help: 'Audit events stored and chained',
  }),
  duplicates: new Counter({
    name: 'closeout_audit_duplicates_total',
    help: 'Audit events received again (same event id) and not stored twice',
  }),
  checkpoints: new Counter({ name: 'closeout_audit_checkpoints_total', help: 'Signed checkpoints written' }),
};
