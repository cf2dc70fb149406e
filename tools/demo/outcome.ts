/**
 * The main job's outcome: progress while the cases run, waiting until each has settled, the evidence the reconciler,
 * the exception queue, the SMTP sink and the messaging providers hold about the run, and the figures of the report.
 */
import type { WritebackResult } from '@closeout/contracts';
import type { CardProcessor } from '../simulators/card-processor';
import { elapsedS, say, sleep } from './clock';
import { TERMINAL_STATES, type CaseWatch } from './case-watch';
import type { Driven } from './drive';
import { messagingFiguresOf, type MessagingEvidence } from './messaging-figures';
import { AGENT_TOKEN, orchestratorUrl, RECONCILER_TOKEN, reconcilerUrl } from './platform';
import type { RunFigures } from './report';

/** A progress line every 3 s until stopped. */
export function reportProgress(watch: CaseWatch, cases: number): { stop(): void } {
  const timer = setInterval(() => {
    let completed = 0;
    let exceptions = 0;
    let expired = 0;
    for (const id of watch.plans.keys()) {
      const s = watch.lastState(id);
      if (s === 'COMPLETED') completed += 1;
      else if (s === 'EXCEPTION') exceptions += 1;
      else if (s === 'EXPIRED') expired += 1;
    }
    const applied = [...watch.results.values()].filter((r) => r.some((x) => x.status === 'APPLIED')).length;
    let sent = 0;
    for (const id of watch.plans.keys())
      sent += (watch.outreachEvents.get(id) ?? []).filter((e) => e.status === 'SENT').length;
    const deferred = [...watch.plans.keys()].filter((id) => watch.parkedByQuietHours(id)).length;
    say(
      `progress: ${watch.plans.size}/${cases} triggered, ${sent} messages sent, ${deferred} customers deferred by quiet hours, ${watch.journeys.size} journeys through the mini-app, ${watch.actedAt.size} customers acted, ${completed} completed, ${exceptions} in exception, ${expired} expired; writebacks applied ${applied}/${watch.ourKeys.size}`,
    );
  }, 3_000);
  return { stop: () => clearInterval(timer) };
}

/**
 * Until every case has settled — completed, in the exception queue, expired, or waiting for a customer whose
 * messages are deferred by quiet hours until after the run (not waited for) — at most 4 minutes; then says what
 * state the cases still open are in.
 */
export async function waitUntilSettled(watch: CaseWatch): Promise<void> {
  const deadline = Date.now() + 240_000;
  let open: string[] = [];
  while (Date.now() < deadline) {
    open = [...watch.plans.keys()].filter((id) => !accountedFor(watch, id));
    if (open.length === 0) break;
    await sleep(1_000);
  }
  await sleep(2_000);
  const parked = [...watch.plans.keys()].filter((id) => !settled(watch, id) && watch.parkedByQuietHours(id));
  if (parked.length > 0)
    say(
      `${parked.length} customers' messages are deferred by quiet hours until after the run: not waiting for them`,
    );
  if (open.length > 0) {
    const states: Record<string, number> = {};
    for (const id of open)
      states[watch.lastState(id) ?? 'NONE'] = (states[watch.lastState(id) ?? 'NONE'] ?? 0) + 1;
    say(
      `stopped waiting after 240 s: ${open.length} cases still open (${Object.entries(states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  }
}

export const settled = (watch: CaseWatch, caseId: string): boolean =>
  TERMINAL_STATES.has(watch.lastState(caseId) ?? '');

/** Settled, or waiting only for a customer messaging will not reach before the run ends (quiet hours). */
export const accountedFor = (watch: CaseWatch, caseId: string): boolean =>
  settled(watch, caseId) || watch.parkedByQuietHours(caseId);

/** What the platform's own APIs say about the run: reconciliation breaks, SLOs, alerts, open exceptions. */
export interface Evidence {
  breaks: { kind: string; caseId: string | null; idempotencyKey: string | null; destination: string }[];
  slo: unknown;
  alerts: { key: string; raisedAt: string }[];
  exceptions: { caseId: string; kind: string; context: { whatWasTried?: { errorClass?: string } } }[];
}

/** Asks the reconciler for a pass against the cores' extracts, then reads breaks, SLOs, alerts and the queue. */
export async function gatherEvidence(runStarted: number): Promise<Evidence> {
  say('asking the reconciler for a pass against the cores’ own extracts');
  await api(reconcilerUrl, '/v1/reconcile', { method: 'POST' }).catch((err: unknown) =>
    say(`reconcile: ${String(err)}`),
  );
  const breaks = await api<{ data: Evidence['breaks'] }>(reconcilerUrl, '/v1/breaks?status=open');
  const slo = await api<unknown>(reconcilerUrl, '/v1/slo');
  const alerts = await api<{ data: Evidence['alerts'] }>(reconcilerUrl, '/v1/alerts?status=open');
  const exceptions = await api<{ items: Evidence['exceptions'] }>(
    orchestratorUrl,
    `/v1/exceptions?status=OPEN&limit=500&openedAfter=${new Date(runStarted).toISOString()}`,
  );
  return { breaks: breaks.data, slo, alerts: alerts.data, exceptions: exceptions.items };
}

/** The report's figures for the run's cases only (other runs' and tests' traffic on this devstack is left out). */
export function figuresOf(
  watch: CaseWatch,
  driven: Driven,
  evidence: Evidence,
  messagingEvidence: MessagingEvidence,
  runStarted: number,
  cardProcessor: CardProcessor,
): RunFigures {
  const { plans, states, results, appliedAt, triggeredAt, actedAt, ourKeys } = watch;
  const mine = (id: string) => plans.has(id);
  const ours = (b: { caseId: string | null; idempotencyKey: string | null }) =>
    (b.caseId !== null && mine(b.caseId)) || (b.idempotencyKey !== null && ourKeys.has(b.idempotencyKey));
  const lastState = (id: string) => watch.lastState(id);
  return {
    cases: plans.size,
    redelivered: driven.redelivered,
    redeliveryDeduplicated: driven.redeliveryDeduplicated,
    refused: driven.refused,
    byWorkflow: countBy(
      [...plans.keys()].map((id) => driven.sent.find((s) => s.caseId === id)!.body['eventType'] as string),
    ),
    plans: countBy([...plans.values()].map((p) => p.kind)),
    states: countBy([...plans.keys()].map((id) => lastState(id) ?? 'NONE')),
    ended: [...plans.keys()].filter((id) =>
      (states.get(id) ?? []).some((s) => ['COMPLETED', 'EXPIRED', 'CLOSED', 'EXCEPTION'].includes(s.state)),
    ).length,
    straightThrough: [...plans.keys()].filter(
      (id) =>
        (states.get(id) ?? []).some((s) => s.state === 'COMPLETED') &&
        !(states.get(id) ?? []).some((s) => s.state === 'EXCEPTION'),
    ).length,
    writebacks: perDestination(results, ourKeys),
    triggerToApplied: [...appliedAt.entries()]
      .filter(([id]) => lastState(id) === 'COMPLETED')
      .map(([id, at]) => at - triggeredAt.get(id)!),
    actionToApplied: [...appliedAt.entries()]
      .filter(([id]) => lastState(id) === 'COMPLETED' && actedAt.has(id))
      .map(([id, at]) => at - actedAt.get(id)!),
    duplicatesPrevented: {
      upstream: driven.redeliveryDeduplicated,
      customerActions: watch.actionDuplicates,
      ledger: [...results.values()].flat().filter((r) => r.duplicate).length,
    },
    unknownsResolved: [...results.values()].filter(
      (r) =>
        r.some((x) => x.status === 'UNKNOWN') &&
        r.some((x) => x.status === 'APPLIED' || x.status === 'FAILED_PERMANENT'),
    ).length,
    unknownsOpen: [...results.values()].filter((r) => r.at(-1)?.status === 'UNKNOWN').length,
    exceptions: countBy(
      evidence.exceptions
        .filter((e) => mine(e.caseId))
        .map(
          (e) =>
            `${e.kind}${e.context.whatWasTried?.errorClass ? ` (${e.context.whatWasTried.errorClass})` : ''}`,
        ),
    ),
    // This run's breaks: on its cases or its writebacks. Others (earlier runs, tests on this devstack) are counted apart.
    breaks: countBy(evidence.breaks.filter(ours).map((b) => b.kind)),
    otherBreaks: evidence.breaks.filter((b) => !ours(b)).length,
    alerts: evidence.alerts.filter((a) => Date.parse(a.raisedAt) >= runStarted).map((a) => a.key),
    slo: evidence.slo,
    reach: countBy([...plans.values()].map((p) => p.reach)),
    messaging: messagingFiguresOf(
      watch,
      messagingEvidence,
      new Map(evidence.exceptions.filter((e) => mine(e.caseId)).map((e) => [e.caseId, e.kind])),
    ),
    journeys: journeyFiguresOf(watch, cardProcessor),
    elapsedS: elapsedS(),
  };
}

/**
 * The customers' journeys through the mini-app, and what the mini-app itself published for the run's cases
 * (miniapp.action by action): the two must agree — every customer who acted has exactly one action on the topic,
 * every decline one decline, every locked session one identity.locked.
 */
export function journeyFiguresOf(watch: CaseWatch, cardProcessor: CardProcessor): RunFigures['journeys'] {
  const journeys = [...watch.journeys.values()];
  const count = (f: (j: (typeof journeys)[number]) => boolean) => journeys.filter(f).length;
  const published = [...watch.miniappActions.entries()];
  const byAction = countBy(published.flatMap(([, actions]) => actions.map((a) => a.action)));
  const casesWith = (test: (action: string) => boolean) =>
    new Set(published.filter(([, actions]) => actions.some((a) => test(a.action))).map(([id]) => id));
  const businessCases = casesWith((a) => a !== 'decline' && a !== 'identity.locked');
  const acted = new Set(journeys.filter((j) => j.outcome === 'acted').map((j) => j.caseId));
  const declined = new Set(journeys.filter((j) => j.outcome === 'declined').map((j) => j.caseId));
  const locked = new Set(journeys.filter((j) => j.outcome === 'failed-verification').map((j) => j.caseId));
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const durations = journeys.filter((j) => j.finishedAt).map((j) => j.finishedAt! - j.startedAt);
  const stats = cardProcessor.stats();
  return {
    started: count((j) => j.started),
    verified: count((j) => j.verified),
    failedVerification: locked.size,
    acted: acted.size,
    declined: declined.size,
    optedOut: count((j) => j.outcome === 'opted-out'),
    byOutcome: countBy(journeys.map((j) => j.outcome)),
    stoppedAt: countBy(
      journeys.filter((j) => j.stoppedAt !== undefined).map((j) => `${j.outcome}: ${j.stoppedAt}`),
    ),
    refusedFirst: count((j) => j.refusedFirst),
    olderLinkFirst: count((j) => j.olderLinkFirst === true),
    doubleTaps: count((j) => j.submissions > 1 && j.outcome === 'acted'),
    codesRequested: journeys.reduce((a, j) => a + j.codesRequested, 0),
    requests: journeys.reduce((a, j) => a + j.requests, 0),
    durations,
    published: byAction,
    publishedMoreThanOnce: published.filter(
      ([, actions]) => new Set(actions.map((a) => a.idempotencyKey)).size !== actions.length,
    ).length,
    agrees: {
      acted: sameSet(acted, businessCases),
      declined: sameSet(
        declined,
        casesWith((a) => a === 'decline'),
      ),
      failedVerification: sameSet(
        locked,
        casesWith((a) => a === 'identity.locked'),
      ),
    },
    processor: {
      pagesServed: stats.pagesServed,
      tokensIssued: stats.tokensIssued,
      refusedOnPage: stats.refusedOnPage,
      lookups: stats.lookups.ok,
    },
  };
}

/**
 * The job fails unless every case settled (or waits for a customer deferred by quiet hours), no break is
 * unexplained, every trigger was accepted and no message was sent twice.
 */
export function succeeded(watch: CaseWatch, figures: RunFigures, cases: number): boolean {
  const allSettled = [...watch.plans.keys()].every((id) => accountedFor(watch, id));
  const unexplained = Object.values(figures.breaks).reduce((a, b) => a + b, 0);
  const duplicateSends = Object.values(figures.messaging.duplicates).reduce((a, b) => a + b, 0);
  return allSettled && unexplained === 0 && figures.cases === cases && duplicateSends === 0;
}

async function api<T>(base: string, path: string, init: { method?: string } = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${base === reconcilerUrl ? RECONCILER_TOKEN : AGENT_TOKEN}` },
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${base}${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function perDestination(
  results: Map<string, WritebackResult[]>,
  keys: Map<string, { destination: string }>,
): RunFigures['writebacks'] {
  const out: RunFigures['writebacks'] = {};
  for (const [key, { destination }] of keys) {
    const rs = results.get(key) ?? [];
    const d = (out[destination] ??= { requested: 0, applied: 0, failedPermanent: 0, pending: 0 });
    d.requested += 1;
    if (rs.some((r) => r.status === 'APPLIED')) d.applied += 1;
    else if (rs.some((r) => r.status === 'FAILED_PERMANENT' || r.status === 'REJECTED_CONFLICT'))
      d.failedPermanent += 1;
    else d.pending += 1;
  }
  return out;
}
