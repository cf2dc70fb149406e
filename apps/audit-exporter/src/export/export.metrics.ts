import { Counter, Gauge, register } from 'prom-client';
import type { SinkName } from './export.repository';

/** Why a send or delivery failed: a bounded set, safe as a label. */
export type FailureReason =
  'busy' | 'unavailable' | 'timeout' | 'unauthorized' | 'rejected' | 'tls' | 'connection';

function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The export's metrics in prom-client's default registry (what /metrics serves), looked up before created: several
 * app instances in one process (tests) share it. Labels are the sink name and a failure reason only.
 */
export class ExportMetrics {
  readonly lagSeconds = metric(
    'closeout_audit_export_lag_seconds',
    () =>
      new Gauge({
        name: 'closeout_audit_export_lag_seconds',
        help: 'Age of the oldest stored audit record the sink has not delivered yet (seconds since it was stored; 0 when caught up)',
        labelNames: ['sink'],
      }),
  );
  readonly pendingEvents = metric(
    'closeout_audit_export_pending_events',
    () =>
      new Gauge({
        name: 'closeout_audit_export_pending_events',
        help: 'Stored audit records the sink has not delivered yet',
        labelNames: ['sink'],
      }),
  );
  readonly exported = metric(
    'closeout_audit_export_events_total',
    () =>
      new Counter({
        name: 'closeout_audit_export_events_total',
        help: 'Audit records delivered to the sink (HEC: acknowledged by the indexer; syslog: confirmed written)',
        labelNames: ['sink'],
      }),
  );
  readonly resent = metric(
    'closeout_audit_export_resent_total',
    () =>
      new Counter({
        name: 'closeout_audit_export_resent_total',
        help: 'Audit records sent again because their delivery was not confirmed (the SIEM may hold them twice, with the same event id)',
        labelNames: ['sink'],
      }),
  );
  readonly failed = metric(
    'closeout_audit_export_failures_total',
    () =>
      new Counter({
        name: 'closeout_audit_export_failures_total',
        help: 'Sends, ack polls and connections that failed, by reason',
        labelNames: ['sink', 'reason'],
      }),
  );
  readonly healthy = metric(
    'closeout_audit_export_sink_healthy',
    () =>
      new Gauge({
        name: 'closeout_audit_export_sink_healthy',
        help: '1 while the sink delivers or waits for work; 0 after a refusal that needs an operator (a bad token, an untrusted certificate)',
        labelNames: ['sink'],
      }),
  );

  init(sink: SinkName): void {
    this.exported.inc({ sink }, 0);
    this.resent.inc({ sink }, 0);
    this.healthy.set({ sink }, 1);
    this.lagSeconds.set({ sink }, 0);
  }
}
