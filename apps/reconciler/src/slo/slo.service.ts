import { Gauge, register } from 'prom-client';
import {
  postedTwiceAlerts,
  reversalTotals,
  workflowFigures,
  writebackFigures,
  type AlertCondition,
  type BreakKind,
  type SloReport,
} from '@closeout/reconciler-domain';
import { durationMs, type Config } from '../config';
import type { ReconcilerRepository } from '../persistence/reconciler.repository';

export type { SloReport };

const gauge = (name: string, help: string, labelNames: string[]): Gauge =>
  (register.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, labelNames });

/**
 * SLO figures from the reconciler's own tables, for /v1/slo and as Prometheus gauges. Alerting on them is
 * Prometheus's (deploy/prometheus/rules, docs/operations/slo.md); the reconciler's own alerts are the postings made
 * twice, which carry the keys and sums to reverse.
 */
export class SloService {
  private readonly gauges = {
    success: gauge('closeout_reconciler_writeback_success_rate', 'Applied / settled writebacks', ['workflow', 'destination', 'window']),
    applied: gauge('closeout_reconciler_requested_to_applied_seconds', 'Requested → applied', ['workflow', 'destination', 'window', 'quantile']),
    duplicates: gauge('closeout_reconciler_duplicates_prevented', 'writeback.result with duplicate=true', ['workflow', 'destination', 'window']),
    exceptions: gauge('closeout_reconciler_exception_rate', 'Share of results per error class', ['workflow', 'destination', 'window', 'error_class']),
    completion: gauge('closeout_reconciler_trigger_to_completed_seconds', 'Trigger → COMPLETED per workflow', ['workflow', 'window', 'quantile']),
    straightThrough: gauge(
      'closeout_reconciler_straight_through_rate',
      'Of the cases that first reached an end in the window (completed, expired, closed, exception), the share that completed without EXCEPTION',
      ['workflow', 'window'],
    ),
    backlog: gauge('closeout_reconciler_backlog_breaks', 'Open breaks per destination', ['destination']),
    backlogAge: gauge('closeout_reconciler_backlog_oldest_age_seconds', 'Age of the oldest open break', ['destination']),
    openBreaks: gauge('closeout_reconciler_open_breaks', 'Open breaks per destination and kind', ['destination', 'kind']),
    toReverse: gauge(
      'closeout_reconciler_posted_twice_to_reverse_minor',
      'Sum of the postings POSTED_TWICE breaks ask to reverse, in minor units (currency "unknown": amount not listed)',
      ['destination', 'currency'],
    ),
  };

  constructor(
    private readonly repository: ReconcilerRepository,
    private readonly config: Config,
  ) {}

  async report(now: number): Promise<SloReport> {
    const windows = this.config.RECONCILER_SLO_WINDOWS;
    const longest = Math.max(...windows.map(durationMs));
    const since = now - longest;
    const [writebacks, results, cases, open] = await Promise.all([
      this.repository.writebackSamples(since),
      this.repository.resultSamples(since),
      this.repository.caseSamples(since),
      this.repository.openBreaks(),
    ]);
    const backlog = new Map<string, { openBreaks: number; oldestAgeMs: number }>();
    const byKind = new Map<string, { destination: string; kind: BreakKind; count: number }>();
    for (const b of open) {
      const entry = backlog.get(b.destination) ?? { openBreaks: 0, oldestAgeMs: 0 };
      entry.openBreaks += 1;
      entry.oldestAgeMs = Math.max(entry.oldestAgeMs, now - b.detectedAt.getTime());
      backlog.set(b.destination, entry);
      const kindKey = JSON.stringify([b.destination, b.kind]);
      const ofKind = byKind.get(kindKey) ?? { destination: b.destination, kind: b.kind, count: 0 };
      ofKind.count += 1;
      byKind.set(kindKey, ofKind);
    }
    const destinations = [...new Set(open.filter((b) => b.kind === 'POSTED_TWICE').map((b) => b.destination))];
    return {
      computedAt: new Date(now).toISOString(),
      windows: windows.map((window) => ({
        window,
        writebacks: writebackFigures(now, durationMs(window), writebacks, results),
        workflows: workflowFigures(now, durationMs(window), cases),
      })),
      backlog: [...backlog.entries()].map(([destination, b]) => ({ destination, ...b })),
      openBreaks: [...byKind.values()],
      toReverse: destinations.flatMap((destination) =>
        reversalTotals(open.filter((b) => b.destination === destination)).map((t) => ({ destination, ...t })),
      ),
    };
  }

  /**
   * The reconciler's alert conditions: postings to reverse, from the open breaks (a core whose extract failed still
   * owes its reversals). SLO breaches and aging unknowns are Prometheus's alerts, not raised here; an open one from
   * before is cleared by the next pass.
   */
  async alertConditions(): Promise<AlertCondition[]> {
    return postedTwiceAlerts(await this.repository.openBreaks());
  }

  /** Replaces the gauges' values with the report's (stale label sets are dropped). */
  publish(report: SloReport): void {
    for (const g of Object.values(this.gauges)) g.reset();
    for (const { window, writebacks, workflows } of report.windows) {
      for (const f of writebacks) {
        const labels = { workflow: f.workflowId, destination: f.destination, window };
        if (f.successRate !== null) this.gauges.success.set(labels, f.successRate);
        if (f.p50RequestedToAppliedMs !== null) this.gauges.applied.set({ ...labels, quantile: '0.5' }, f.p50RequestedToAppliedMs / 1000);
        if (f.p95RequestedToAppliedMs !== null) this.gauges.applied.set({ ...labels, quantile: '0.95' }, f.p95RequestedToAppliedMs / 1000);
        this.gauges.duplicates.set(labels, f.duplicatesPrevented);
        for (const [errorClass, rate] of Object.entries(f.exceptionRateByErrorClass))
          this.gauges.exceptions.set({ ...labels, error_class: errorClass }, rate);
      }
      for (const w of workflows) {
        const labels = { workflow: w.workflowId, window };
        if (w.p50TriggerToCompletedMs !== null) this.gauges.completion.set({ ...labels, quantile: '0.5' }, w.p50TriggerToCompletedMs / 1000);
        if (w.p95TriggerToCompletedMs !== null) this.gauges.completion.set({ ...labels, quantile: '0.95' }, w.p95TriggerToCompletedMs / 1000);
        if (w.straightThroughRate !== null) this.gauges.straightThrough.set(labels, w.straightThroughRate);
      }
    }
    for (const b of report.backlog) {
      this.gauges.backlog.set({ destination: b.destination }, b.openBreaks);
      this.gauges.backlogAge.set({ destination: b.destination }, b.oldestAgeMs / 1000);
    }
    for (const b of report.openBreaks) this.gauges.openBreaks.set({ destination: b.destination, kind: b.kind }, b.count);
    for (const t of report.toReverse)
      this.gauges.toReverse.set({ destination: t.destination, currency: t.currency ?? 'unknown' }, t.amountMinor);
  }
}
