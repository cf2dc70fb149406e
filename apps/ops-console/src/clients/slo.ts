/**
 * The SLO page's figures: from Prometheus (the recording rules of deploy/prometheus/rules, the one source of truth
 * for alerting) when PROMETHEUS_URL is set — charts over time, error budget left, breaker states, backlog and oldest
 * unknown — and from the reconciler's `/v1/slo` figures as tables when it is not (or does not answer).
 */
import type { SloReport } from '@closeout/reconciler-domain';
import type { Fetched } from './upstream';
import type { Sources } from './sources';
import { duration, percent } from '../pages/views';

/** The writeback success objective (the workflow definitions' slo.writebackSuccessRate and the recording rules'). */
export const WRITEBACK_SUCCESS_OBJECTIVE = 0.995;
/** How far back the charts go, and their step. */
export const CHART_RANGE_SECONDS = 6 * 3600;
const CHART_STEP_SECONDS = 120;

interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

interface PromAnswer {
  status: string;
  data: { resultType: string; result: PromSeries[] };
}

export interface SloPage {
  source: string;
  notices: string[];
  rangeLabel: string;
  charts: { title: string; data: string; summary: string }[];
  budgets: { workflow: string; destination: string; objective: string; measured: string; left: string }[];
  window: string;
  writebacks: Record<string, string | number>[];
  workflows: Record<string, string | number>[];
  breakers: { destination: string; state: string }[];
  breakersNote: string;
  backlog: { name: string; openBreaks: string; oldestBreak: string; oldestUnknown: string }[];
}

const BREAKER_STATES = ['closed', 'half-open', 'open'];
const budgetLeft = (errorRatio: number): string =>
  percent(Math.max(-1, 1 - errorRatio / (1 - WRITEBACK_SUCCESS_OBJECTIVE)), 1);

async function promQuery(sources: Sources, query: string, now: number): Promise<Fetched<PromAnswer>> {
  return sources.prometheus.get<PromAnswer>(
    `/api/v1/query?query=${encodeURIComponent(query)}&time=${Math.floor(now / 1000)}`,
  );
}

async function promRange(sources: Sources, query: string, now: number): Promise<Fetched<PromAnswer>> {
  const end = Math.floor(now / 1000);
  return sources.prometheus.get<PromAnswer>(
    `/api/v1/query_range?query=${encodeURIComponent(query)}&start=${end - CHART_RANGE_SECONDS}&end=${end}&step=${CHART_STEP_SECONDS}`,
  );
}

const series = (f: Fetched<PromAnswer>): PromSeries[] => (f.ok ? f.body.data.result : []);
const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));

export async function sloPage(sources: Sources, now = Date.now()): Promise<SloPage> {
  const page: SloPage = {
    source: '',
    notices: [],
    rangeLabel: `${CHART_RANGE_SECONDS / 3600} hours`,
    charts: [],
    budgets: [],
    window: '',
    writebacks: [],
    workflows: [],
    breakers: [],
    breakersNote:
      'Breaker states come from Prometheus (closeout_writeback_breaker_state), which is not configured.',
    backlog: [],
  };
  const fromPrometheus = sources.prometheus.configured && (await addPrometheus(sources, page, now));
  if (!fromPrometheus || page.charts.length === 0) await addReconciler(sources, page);
  page.source = fromPrometheus
    ? `Prometheus (the recording rules in deploy/prometheus)${page.writebacks.length > 0 ? ' and the reconciler’s /v1/slo' : ''}`
    : sources.reconciler.configured
      ? 'the reconciler’s /v1/slo figures (PROMETHEUS_URL is not set or Prometheus did not answer)'
      : 'none: neither PROMETHEUS_URL nor RECONCILER_URL is set';
  return page;
}

async function addPrometheus(sources: Sources, page: SloPage, now: number): Promise<boolean> {
  const [errors, slow, budget, breakers, backlog, backlogAge, unknown] = await Promise.all([
    promRange(sources, 'closeout:writeback_error:ratio_rate5m', now),
    promRange(sources, 'closeout:writeback_slow:ratio_rate5m', now),
    promQuery(sources, 'closeout:writeback_error:ratio_rate3d', now),
    promQuery(sources, 'max by (destination) (closeout_writeback_breaker_state)', now),
    promQuery(sources, 'sum by (destination) (closeout_reconciler_backlog_breaks)', now),
    promQuery(sources, 'max by (destination) (closeout_reconciler_backlog_oldest_age_seconds)', now),
    promQuery(sources, 'max by (schema) (closeout_writeback_oldest_unknown_age_seconds)', now),
  ]);
  if (!errors.ok) {
    page.notices.push(`Prometheus: ${errors.reason}.`);
    return false;
  }
  // One chart per workflow and destination: the error ratio and the slow ratio, each 5-minute rate.
  const key = (m: Record<string, string>) => `${m['workflow'] ?? '?'} → ${m['destination'] ?? '?'}`;
  const byKey = new Map<string, { err?: PromSeries; slow?: PromSeries }>();
  for (const s of series(errors)) byKey.set(key(s.metric), { ...byKey.get(key(s.metric)), err: s });
  for (const s of series(slow)) byKey.set(key(s.metric), { ...byKey.get(key(s.metric)), slow: s });
  for (const [title, { err, slow: sl }] of [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 24)) {
    const xs = [...new Set([...(err?.values ?? []), ...(sl?.values ?? [])].map(([t]) => t))].sort(
      (a, b) => a - b,
    );
    const at = (s: PromSeries | undefined) => {
      const m = new Map((s?.values ?? []).map(([t, v]) => [t, num(v)]));
      return xs.map((t) => (Number.isFinite(m.get(t)) ? m.get(t)! : null));
    };
    const errValues = at(err);
    const last = [...errValues].reverse().find((v) => v !== null);
    page.charts.push({
      title,
      data: JSON.stringify({
        x: xs,
        series: [
          { label: 'failed (5m)', values: errValues },
          { label: 'slower than the objective (5m)', values: at(sl) },
        ],
      }),
      summary: `${xs.length} points; latest failed ratio ${percent(last ?? null)}`,
    });
  }
  for (const s of series(budget)) {
    const measured = num(s.value?.[1]);
    page.budgets.push({
      workflow: s.metric['workflow'] ?? '',
      destination: s.metric['destination'] ?? '',
      objective: `${(WRITEBACK_SUCCESS_OBJECTIVE * 100).toFixed(1)}% applied (3 days)`,
      measured: percent(Number.isFinite(measured) ? 1 - measured : null),
      left: Number.isFinite(measured) ? budgetLeft(measured) : '—',
    });
  }
  if (breakers.ok) {
    page.breakers = series(breakers).map((s) => ({
      destination: s.metric['destination'] ?? '',
      state: BREAKER_STATES[num(s.value?.[1])] ?? 'unknown',
    }));
    page.breakersNote = 'No writeback service reports a breaker yet.';
  } else page.breakersNote = `Prometheus: ${breakers.reason}.`;
  const ages = new Map(series(backlogAge).map((s) => [s.metric['destination'] ?? '', num(s.value?.[1])]));
  for (const s of series(backlog))
    page.backlog.push({
      name: s.metric['destination'] ?? '',
      openBreaks: String(num(s.value?.[1])),
      oldestBreak: duration((ages.get(s.metric['destination'] ?? '') ?? NaN) * 1000),
      oldestUnknown: '—',
    });
  for (const s of series(unknown))
    page.backlog.push({
      name: `ledger ${s.metric['schema'] ?? ''}`,
      openBreaks: '—',
      oldestBreak: '—',
      oldestUnknown: duration(num(s.value?.[1]) * 1000),
    });
  return true;
}

async function addReconciler(sources: Sources, page: SloPage): Promise<void> {
  if (!sources.reconciler.configured) return;
  const report = await sources.reconciler.get<SloReport>('/v1/slo');
  if (!report.ok) {
    page.notices.push(`The reconciler’s figures: ${report.reason}.`);
    return;
  }
  const window = report.body.windows[0];
  if (!window) return;
  page.window = `window ${window.window}, computed ${report.body.computedAt}`;
  page.writebacks = window.writebacks.map((w) => ({
    workflowId: w.workflowId,
    destination: w.destination,
    settled: w.settled,
    applied: w.applied,
    success: percent(w.successRate),
    p50: duration(w.p50RequestedToAppliedMs),
    p95: duration(w.p95RequestedToAppliedMs),
    left: w.successRate === null ? '—' : budgetLeft(1 - w.successRate),
  }));
  page.workflows = window.workflows.map((w) => ({
    workflowId: w.workflowId,
    ended: w.ended,
    completed: w.completed,
    straightThrough: w.straightThrough,
    rate: percent(w.straightThroughRate, 1),
    p95: duration(w.p95TriggerToCompletedMs),
  }));
  if (page.backlog.length === 0)
    page.backlog = report.body.backlog.map((b) => ({
      name: b.destination,
      openBreaks: String(b.openBreaks),
      oldestBreak: duration(b.oldestAgeMs),
      oldestUnknown: '—',
    }));
}
