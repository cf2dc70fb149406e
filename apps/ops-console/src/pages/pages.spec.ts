/**
 * The console's pages from fixtures: the other services' answers (Prometheus, the reconciler, Alertmanager, the
 * orchestrator, the audit store) go through the page builders and the templates, and the figures are read back out
 * of the HTML — the uPlot series of each chart, the tables' cells — not merely "the page rendered".
 */
import { parse, type HTMLElement } from 'node-html-parser';
import type { SloReport } from '@closeout/reconciler-domain';
import type { Sources } from '../clients/sources';
import { sloPage } from '../clients/slo';
import type { Fetched } from '../clients/upstream';
import { PageRenderer } from './page-renderer';
import {
  alertmanagerAlertRows,
  auditView,
  breakRows,
  caseView,
  exceptionView,
  reconcilerAlertRows,
  type CaseRecord,
  type TrailRecord,
} from './views';

const viewer = { operator: 'alice.agent', role: 'agent', csrf: 'csrf-token' };
const renderer = new PageRenderer();

/** Each row of the table whose caption says `caption`, as its cells' text. */
function table(html: string, caption: string): string[][] {
  const t = parse(html)
    .querySelectorAll('table')
    .find((x) => x.querySelector('caption')?.text.includes(caption));
  if (!t) throw new Error(`no table captioned "${caption}"`);
  return t
    .querySelectorAll('tbody tr')
    .map((tr: HTMLElement) => tr.querySelectorAll('td').map((td) => td.text));
}

// ---- SLO page ----------------------------------------------------------------------------------------------------

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const END = NOW / 1000;
const t = (i: number) => END - 600 + i * 120;

type Answer = Fetched<unknown>;
const ok = (body: unknown): Answer => ({ ok: true, status: 200, body });
const vector = (result: unknown[]) => ok({ status: 'success', data: { resultType: 'vector', result } });
const matrix = (result: unknown[]) => ok({ status: 'success', data: { resultType: 'matrix', result } });

/** Prometheus's answers by query, as the recording rules of deploy/prometheus/rules name them. */
const PROMETHEUS: Record<string, Answer> = {
  'closeout:writeback_error:ratio_rate5m': matrix([
    {
      metric: { workflow: 'payment-failed', destination: 'core-banking-rest' },
      values: [
        [t(0), '0.01'],
        [t(1), '0.02'],
        [t(2), '0.05'],
      ],
    },
    { metric: { workflow: 'card-expiring', destination: 'core-banking-soap' }, values: [[t(2), '0']] },
  ]),
  'closeout:writeback_slow:ratio_rate5m': matrix([
    {
      metric: { workflow: 'payment-failed', destination: 'core-banking-rest' },
      values: [
        [t(1), '0.1'],
        [t(2), '0.2'],
        [t(3), '0.3'],
      ],
    },
  ]),
  'closeout:writeback_error:ratio_rate3d': vector([
    { metric: { workflow: 'payment-failed', destination: 'core-banking-rest' }, value: [END, '0.001'] },
  ]),
  'max by (destination) (closeout_writeback_breaker_state)': vector([
    { metric: { destination: 'core-banking-rest' }, value: [END, '2'] },
    { metric: { destination: 'core-banking-soap' }, value: [END, '0'] },
  ]),
  'sum by (destination) (closeout_reconciler_backlog_breaks)': vector([
    { metric: { destination: 'core-banking-sftp' }, value: [END, '3'] },
  ]),
  'max by (destination) (closeout_reconciler_backlog_oldest_age_seconds)': vector([
    { metric: { destination: 'core-banking-sftp' }, value: [END, '5400'] },
  ]),
  'max by (schema) (closeout_writeback_oldest_unknown_age_seconds)': vector([
    { metric: { schema: 'writeback_rest' }, value: [END, '45'] },
  ]),
};

/** The reconciler's `GET /v1/slo`, typed as the reconciler's own report. */
const RECONCILER_SLO: SloReport = {
  computedAt: '2026-01-15T11:59:00.000Z',
  windows: [
    {
      window: '24h',
      writebacks: [
        {
          workflowId: 'payment-failed',
          destination: 'core-banking-rest',
          settled: 1000,
          applied: 997,
          successRate: 0.997,
          p50RequestedToAppliedMs: 1_500,
          p95RequestedToAppliedMs: 95_000,
          duplicatesPrevented: 4,
          exceptionRateByErrorClass: { VALIDATION: 0.003 },
        },
      ],
      workflows: [
        {
          workflowId: 'payment-failed',
          ended: 400,
          completed: 380,
          straightThrough: 342,
          straightThroughRate: 0.9,
          p50TriggerToCompletedMs: 3_600_000,
          p95TriggerToCompletedMs: 3 * 3_600_000,
        },
      ],
    },
  ],
  backlog: [{ destination: 'core-banking-soap', openBreaks: 2, oldestAgeMs: 900 }],
  openBreaks: [{ destination: 'core-banking-soap', kind: 'APPLIED_MISSING_IN_CORE', count: 2 }],
  toReverse: [],
};

/** Sources answering from fixtures; `calls` records each path asked for. */
function fakeSources(options: { prometheus?: boolean; reconciler?: boolean }) {
  const calls: string[] = [];
  const upstream = (configured: boolean, answer: (path: string) => Answer) => ({
    configured,
    get: async (path: string) => {
      calls.push(path);
      return answer(path);
    },
  });
  const sources = {
    prometheus: upstream(options.prometheus ?? false, (path) => {
      const query = new URL(path, 'http://prometheus.test').searchParams.get('query') ?? '';
      return PROMETHEUS[query] ?? vector([]);
    }),
    reconciler: upstream(options.reconciler ?? false, (path) =>
      path === '/v1/slo' ? ok(RECONCILER_SLO) : { ok: false, status: 404, reason: 'not found' },
    ),
  } as unknown as Sources;
  return { sources, calls };
}

interface ChartData {
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

describe('the SLO page from Prometheus', () => {
  it('charts the error and slow ratios per workflow and destination over 6 hours, as uPlot series', async () => {
    const { sources, calls } = fakeSources({ prometheus: true, reconciler: true });
    const page = await sloPage(sources, NOW);
    // the charts span the last 6 hours at a 2-minute step
    const range = new URL(
      calls.find((c) => c.startsWith('/api/v1/query_range'))!,
      'http://p.test',
    ).searchParams;
    expect([range.get('start'), range.get('end'), range.get('step')]).toEqual([
      String(END - 6 * 3600),
      String(END),
      '120',
    ]);

    const html = await renderer.render(
      'slo',
      'Service level objectives',
      { ...page },
      { viewer, charts: true },
    );
    const plots = parse(html).querySelectorAll('figure.chart');
    expect(plots.map((p) => p.querySelector('figcaption')!.text)).toEqual([
      'card-expiring → core-banking-soap',
      'payment-failed → core-banking-rest',
    ]);
    // what /assets/charts.js hands uPlot: the data-series attribute, unescaped by the HTML parser
    const data = JSON.parse(plots[1]!.querySelector('.plot')!.getAttribute('data-series')!) as ChartData;
    expect(data).toEqual({
      x: [t(0), t(1), t(2), t(3)],
      series: [
        { label: 'failed (5m)', values: [0.01, 0.02, 0.05, null] },
        { label: 'slower than the objective (5m)', values: [null, 0.1, 0.2, 0.3] },
      ],
    });
    expect(plots[1]!.querySelector('.plot')!.getAttribute('aria-label')).toBe(
      'payment-failed → core-banking-rest: 4 points; latest failed ratio 5.00%',
    );
    const soap = JSON.parse(plots[0]!.querySelector('.plot')!.getAttribute('data-series')!) as ChartData;
    expect(soap).toEqual({
      x: [t(2)],
      series: [
        { label: 'failed (5m)', values: [0] },
        { label: 'slower than the objective (5m)', values: [null] },
      ],
    });

    // 0.1% failed over 3 days against a 0.5% budget: 80% of it left
    expect(table(html, 'Error budget left')).toEqual([
      ['payment-failed', 'core-banking-rest', '99.5% applied (3 days)', '99.90%', '80.0%'],
    ]);
    expect(table(html, 'Circuit breaker state')).toEqual([
      ['core-banking-rest', 'open'],
      ['core-banking-soap', 'closed'],
    ]);
    expect(table(html, 'Open breaks and the oldest unknown')).toEqual([
      ['core-banking-sftp', '3', '90 min', '—'],
      ['ledger writeback_rest', '—', '—', '45.0 s'],
    ]);
    expect(parse(html).querySelector('main')?.text ?? html).toContain(
      'Source: Prometheus (the recording rules in deploy/prometheus).',
    );
    // charts from Prometheus: the reconciler's table is not asked for
    expect(calls).not.toContain('/v1/slo');
  });

  it("falls back to the reconciler's /v1/slo figures as tables when Prometheus does not answer", async () => {
    const { sources } = fakeSources({ prometheus: false, reconciler: true });
    const page = await sloPage(sources, NOW);
    const html = await renderer.render('slo', 'Service level objectives', { ...page }, { viewer });
    expect(parse(html).querySelectorAll('.plot')).toHaveLength(0);
    expect(table(html, 'Writeback figures from the reconciler')).toEqual([
      ['payment-failed', 'core-banking-rest', '1000', '997', '99.70%', '1.5 s', '95.0 s', '40.0%'],
    ]);
    expect(table(html, 'Case figures from the reconciler')).toEqual([
      ['payment-failed', '400', '380', '342', '90.0%', '3.0 h'],
    ]);
    expect(table(html, 'Open breaks and the oldest unknown')).toEqual([
      ['core-banking-soap', '2', '900 ms', '—'],
    ]);
    expect(html).toContain('window 24h, computed 2026-01-15T11:59:00.000Z');
    expect(html).toContain('the reconciler’s /v1/slo figures (PROMETHEUS_URL is not set');
  });
});

// ---- breaks and alerts --------------------------------------------------------------------------------------------

describe('the breaks and alerts page', () => {
  const breaks = breakRows(
    [
      {
        kind: 'APPLIED_MISSING_IN_CORE',
        destination: 'core-banking-sftp',
        caseId: 'case-123',
        detectedAt: '2026-01-15T10:00:00.000Z',
        command: 'REPLAY',
        idempotencyKey: 'idem-abc',
      },
      // an id the console would not link to (it is not one of its ids)
      { kind: 'SHARED_PROVIDER_REF', destination: 'core-banking-rest', caseId: 'bad id/..', command: null },
    ],
    (caseId) => /^[A-Za-z0-9._:-]{1,128}$/.test(caseId),
  );

  it('shows Alertmanager’s firing alerts with their labels and summary, and the open breaks linked to their cases', async () => {
    const alerts = alertmanagerAlertRows([
      {
        labels: {
          alertname: 'CloseoutWritebackErrorBudgetBurn',
          severity: 'page',
          destination: 'core-banking-rest',
          workflow: 'payment-failed',
        },
        annotations: { summary: 'payment-failed → core-banking-rest burns its error budget 14x' },
        startsAt: '2026-01-15T11:30:00.000Z',
      },
    ]);
    const html = await renderer.render(
      'breaks',
      'Breaks and alerts',
      { alertSource: 'Alertmanager (the Prometheus alert rules)', alerts, breaks },
      { viewer },
    );
    expect(table(html, 'Alerts firing now')).toEqual([
      [
        'CloseoutWritebackErrorBudgetBurn',
        'page',
        '2026-01-15 11:30:00Z',
        'destination=core-banking-rest, workflow=payment-failed',
        'payment-failed → core-banking-rest burns its error budget 14x',
      ],
    ]);
    expect(table(html, 'Open breaks')).toEqual([
      [
        'APPLIED_MISSING_IN_CORE',
        'core-banking-sftp',
        'case-123',
        '2026-01-15 10:00:00Z',
        'REPLAY',
        'idem-abc',
      ],
      ['SHARED_PROVIDER_REF', 'core-banking-rest', '', '', '', ''],
    ]);
    const links = parse(html)
      .querySelectorAll('table a')
      .map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/cases/case-123']);
  });

  it("shows the reconciler's own alerts when no Alertmanager is configured, masking contact points in them", async () => {
    const alerts = reconcilerAlertRows([
      {
        kind: 'BREAK_BACKLOG_AGED',
        key: 'core-banking-sftp',
        raisedAt: '2026-01-15T09:00:00.000Z',
        context: { openBreaks: 7, note: 'ask jane.doe@example.com' },
      },
    ]);
    const html = await renderer.render('breaks', 'Breaks and alerts', { alerts, breaks: [] }, { viewer });
    const [row] = table(html, 'Alerts firing now');
    expect(row!.slice(0, 4)).toEqual(['BREAK_BACKLOG_AGED', '', '2026-01-15 09:00:00Z', 'core-banking-sftp']);
    expect(row![4]).toMatch(/^openBreaks: 7; note: ask j\*+@e\*+\.com$/);
    expect(html).not.toContain('jane.doe@example.com');
    expect(html).toContain('No open break.');
  });
});

// ---- case page ----------------------------------------------------------------------------------------------------

describe('the case page', () => {
  const record: CaseRecord = {
    caseId: 'case-123',
    workflowId: 'document-request',
    definitionVersion: 3,
    state: 'COMPLETED',
    customerId: 'cus-42',
    openedAt: '2026-01-15T10:00:00.000Z',
    updatedAt: '2026-01-15T10:05:00.000Z',
    completedAt: '2026-01-15T10:05:00.000Z',
    timeline: [
      { at: '2026-01-15T10:00:00.000Z', kind: 'case.opened', ruleId: 'open', detail: { trigger: 'evt-1' } },
      { at: '2026-01-15T10:05:00.000Z', kind: 'case.completed', ruleId: 'complete', detail: {} },
    ],
    writebacks: [
      {
        destination: 'core-banking-rest',
        protocol: 'REST',
        operation: 'document.attach',
        status: 'APPLIED',
        attempts: 2,
        providerRef: 'REST-000123',
        idempotencyKey: 'idem-new',
        requestedAt: '2026-01-15T10:04:00.000Z',
        appliedAt: '2026-01-15T10:04:30.000Z',
      },
    ],
  };
  /** The audit store's records for the case (`GET /v1/audit?caseId=`), in store order. */
  const trail: TrailRecord[] = [
    {
      seq: 41,
      event: {
        occurredAt: Date.UTC(2026, 0, 15, 10, 3, 0),
        actor: { type: 'AGENT', id: 'alice.agent' },
        action: 'exception.resolved',
        outcome: 'SUCCESS',
        reason: 'core fixed the table; customer +44 7700 900123 called',
        service: 'orchestrator',
      },
    },
    {
      seq: 42,
      event: {
        occurredAt: '2026-01-15T10:04:30.000Z',
        actor: { type: 'SERVICE', id: 'writeback-rest' },
        action: 'writeback.applied',
        outcome: 'SUCCESS',
        service: 'writeback-rest',
      },
    },
  ];

  it('tells the audit story in store order: who, what, the outcome, why (masked), which service', async () => {
    const html = await renderer.render(
      'case',
      'Case case-123',
      { c: caseView(record), exceptions: [], audit: { records: auditView(trail), more: true } },
      { viewer },
    );
    const rows = table(html, 'audit store');
    expect(rows.map((r) => r.filter((_, i) => i !== 5))).toEqual([
      ['41', '2026-01-15 10:03:00Z', 'AGENT:alice.agent', 'exception.resolved', 'SUCCESS', 'orchestrator'],
      [
        '42',
        '2026-01-15 10:04:30Z',
        'SERVICE:writeback-rest',
        'writeback.applied',
        'SUCCESS',
        'writeback-rest',
      ],
    ]);
    expect(rows[0]![5]).toBe('core fixed the table; customer +** **** ****23 called');
    expect(html).not.toContain('7700 900123');
    expect(html).toContain('The first 2 records are shown.');
    expect(table(html, 'Writebacks to the cores')).toEqual([
      [
        'core-banking-rest (REST)',
        'document.attach',
        'APPLIED',
        '2',
        'REST-000123',
        'idem-new',
        '2026-01-15 10:04:00Z',
        '2026-01-15 10:04:30Z',
      ],
    ]);
    expect(table(html, 'What happened to the case').map((r) => r.slice(0, 3))).toEqual([
      ['2026-01-15 10:00:00Z', 'case.opened', 'open'],
      ['2026-01-15 10:05:00Z', 'case.completed', 'complete'],
    ]);
  });

  it('shows an error class and a resolution only where there is one', async () => {
    const failed: CaseRecord = {
      ...record,
      state: 'EXCEPTION',
      writebacks: [{ ...record.writebacks![0]!, status: 'FAILED_PERMANENT', errorClass: 'VALIDATION' }],
      exceptions: [
        {
          exceptionId: 'exc-1',
          caseId: 'case-123',
          kind: 'WRITEBACK_FAILED',
          queue: 'writebacks',
          priority: 'HIGH',
          status: 'OPEN',
          summary: 'the core refused the document',
        },
      ],
    };
    const html = await renderer.render(
      'case',
      'Case case-123',
      {
        c: caseView(failed),
        exceptions: failed.exceptions!.map((e) => exceptionView(e)),
        audit: { records: [] },
      },
      { viewer },
    );
    expect(table(html, 'Writebacks to the cores')[0]![2]).toBe('FAILED_PERMANENT — VALIDATION');
    const exception = parse(html).querySelector('li.item')!.text;
    expect(exception).toContain('WRITEBACK_FAILED (OPEN) — queue writebacks');
    expect(exception).not.toContain('Resolution:');
    const resolved = await renderer.render(
      'case',
      'Case case-123',
      {
        c: caseView(failed),
        exceptions: [
          exceptionView({
            ...failed.exceptions![0]!,
            status: 'RESOLVED',
            resolution: { resolution: 'retry', by: 'alice.agent', via: 'ops-console' },
          }),
        ],
        audit: { records: [] },
      },
      { viewer },
    );
    expect(parse(resolved).querySelector('li.item')!.text).toContain(
      'Resolution: resolution: retry, by: alice.agent, via: ops-console',
    );
  });

  it('says when the audit story could not be read', async () => {
    const html = await renderer.render(
      'case',
      'Case case-123',
      {
        c: caseView(record),
        exceptions: [],
        audit: { unavailable: 'The audit story could not be read: the audit store did not answer.' },
      },
      { viewer },
    );
    expect(html).toContain('The audit story could not be read: the audit store did not answer.');
    expect(() => table(html, 'audit store')).toThrow('no table captioned');
  });
});
