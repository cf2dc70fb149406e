/** The main job's final report: what happened to every case, in the figures an operations team runs on. */
import type { AuditFigures, SinkFigures } from './audit-trail';
import type { MessagingFigures } from './messaging-figures';
import { AGENT_TOKEN, orchestratorUrl, RECONCILER_TOKEN, reconcilerUrl } from './platform';

export interface RunFigures {
  cases: number;
  redelivered: number;
  redeliveryDeduplicated: number;
  refused: number;
  byWorkflow: Record<string, number>;
  plans: Record<string, number>;
  states: Record<string, number>;
  /** Cases that reached an end: completed, expired, closed or in the exception queue (declined, ineligible, …). */
  ended: number;
  /** Cases that completed without passing through EXCEPTION. */
  straightThrough: number;
  writebacks: Record<
    string,
    { requested: number; applied: number; failedPermanent: number; pending: number }
  >;
  triggerToApplied: number[];
  actionToApplied: number[];
  duplicatesPrevented: { upstream: number; customerActions: number; ledger: number };
  unknownsResolved: number;
  unknownsOpen: number;
  exceptions: Record<string, number>;
  breaks: Record<string, number>;
  otherBreaks: number;
  alerts: string[];
  slo: unknown;
  /** The customers' contact blocks: reachable, no consent, night where they live. */
  reach: Record<string, number>;
  messaging: MessagingFigures;
  /** The customers' journeys through the mini-app and what it published for them. */
  journeys: {
    started: number;
    verified: number;
    failedVerification: number;
    acted: number;
    declined: number;
    optedOut: number;
    byOutcome: Record<string, number>;
    /** Where journeys that did not finish stopped (`<outcome>: <status> <page heading>`). */
    stoppedAt: Record<string, number>;
    refusedFirst: number;
    olderLinkFirst: number;
    doubleTaps: number;
    codesRequested: number;
    requests: number;
    /** Link opened → done page, ms, per finished journey. */
    durations: number[];
    /** miniapp.action for the run's cases, by action (read from the topic). */
    published: Record<string, number>;
    /** Cases with the same idempotency key published more than once. */
    publishedMoreThanOnce: number;
    /** Whether the customers' outcomes and the mini-app's published actions name the same cases. */
    agrees: { acted: boolean; declined: boolean; failedVerification: boolean };
    processor: { pagesServed: number; tokensIssued: number; refusedOnPage: number; lookups: number };
  };
  elapsedS: number;
}

/** Nearest-rank percentile of a sample (p in 0..100); NaN for an empty one. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const secs = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const list = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function printReport(f: RunFigures, p: typeof percentile): void {
  const completed = f.states['COMPLETED'] ?? 0;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  console.log('\n════════ Closeout main job — report ════════');
  line('triggers accepted', `${f.cases} (${list(f.byWorkflow)})`);
  line(
    'upstream redeliveries',
    `${f.redelivered} sent again, ${f.redeliveryDeduplicated} deduplicated by trigger-ingest`,
  );
  line('simulated customers', list(f.plans));
  line('cases by final state', list(f.states));
  line('cases completed', `${completed} of ${f.cases}`);
  line(
    'straight-through rate',
    `${pct(f.straightThrough, f.ended)} of the ${f.ended} cases that reached an end (completed, expired, closed, in exception) completed with no exception on the way`,
  );
  printMessaging(f, line);
  printJourneys(f, line, p);
  console.log('  writeback success per destination');
  for (const [d, w] of Object.entries(f.writebacks).sort()) {
    line(
      `  ${d}`,
      `${pct(w.applied, w.requested)} applied (${w.applied}/${w.requested}; ${w.failedPermanent} failed permanently, ${w.pending} pending)`,
    );
  }
  line(
    'trigger → every writeback applied',
    `p50 ${secs(p(f.triggerToApplied, 50))}, p95 ${secs(p(f.triggerToApplied, 95))} (includes the customer's time to answer)`,
  );
  line(
    'customer action → writebacks applied',
    `p50 ${secs(p(f.actionToApplied, 50))}, p95 ${secs(p(f.actionToApplied, 95))}`,
  );
  line(
    'duplicates prevented',
    `${f.duplicatesPrevented.upstream + f.duplicatesPrevented.customerActions + f.duplicatesPrevented.ledger} ` +
      `(upstream events ${f.duplicatesPrevented.upstream}, customer actions ${f.duplicatesPrevented.customerActions}, ledger re-requests ${f.duplicatesPrevented.ledger})`,
  );
  line('unknown outcomes resolved by lookup', `${f.unknownsResolved} (${f.unknownsOpen} still unknown)`);
  line('open exceptions by class', list(f.exceptions));
  const breaks = Object.values(f.breaks).reduce((a, b) => a + b, 0);
  line('reconciliation breaks', breaks === 0 ? '0 unexplained' : `${breaks} unexplained: ${list(f.breaks)}`);
  if (f.otherBreaks > 0)
    line('', `(${f.otherBreaks} more open on earlier runs' or tests' writebacks on this devstack)`);
  line('SLO alerts open', f.alerts.length === 0 ? 'none' : f.alerts.join(', '));
  line('run time', `${f.elapsedS.toFixed(1)} s`);
}

const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** The messaging section: what messaging did with the outreach, checked against the sink's and providers' records. */
function printMessaging(f: RunFigures, line: (label: string, value: string) => void): void {
  const m = f.messaging;
  console.log('  messaging');
  line('  customers’ contact blocks', list(f.reach));
  line('  outreach requested', `${total(m.requested)} (${list(m.requested)})`);
  for (const [channel, s] of Object.entries(m.sent)) {
    const where =
      channel === 'EMAIL' ? 'SMTP sink' : `${channel === 'SMS' ? 'SMS' : 'WhatsApp'} provider's journal`;
    line(
      `  sent by ${channel}`,
      `${s.events} (outreach.event SENT/DELIVERED; ${s.journal} in the ${where}: ${s.events === s.journal ? 'agree' : 'DISAGREE'})`,
    );
  }
  line('  delivered (provider reports)', String(m.delivered));
  if (total(m.failed) > 0) line('  failed', list(m.failed));
  line(
    '  deferred by quiet hours',
    m.deferred.customers === 0
      ? `none${m.deferred.sentLater > 0 ? ` (${m.deferred.sentLater} deferred, sent later in the run)` : ''}`
      : `${m.deferred.customers} customers not reached during the run, due at ${when(m.deferred.firstDue)}` +
          (m.deferred.lastDue !== m.deferred.firstDue ? ` … ${when(m.deferred.lastDue)}` : ''),
  );
  const suppressed = (code: string) => m.suppressed[code] ?? 0;
  const others = Object.entries(m.suppressed).filter(
    ([k]) =>
      !['SUPPRESSED_NO_CONSENT', 'SUPPRESSED_FREQUENCY_CAP', 'SUPPRESSED_NO_CONTACT_POINT'].includes(k),
  );
  line(
    '  suppressed (outreaches)',
    `no consent ${suppressed('SUPPRESSED_NO_CONSENT')}, frequency cap ${suppressed('SUPPRESSED_FREQUENCY_CAP')}, ` +
      `no contact point ${suppressed('SUPPRESSED_NO_CONTACT_POINT')}` +
      (others.length > 0 ? `; ${others.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''),
  );
  line(
    '  opt-outs honoured',
    `${m.optOuts.events} OPTED_OUT reported (${m.optOuts.planned} planned as SMS STOP replies, any others from the ` +
      `mini-app's stop-messages page); ${m.optOuts.exceptions} cases in the exception queue as OPTED_OUT; ` +
      `${m.optOuts.confirmations} SMS confirmations sent`,
  );
  line(
    '  customers who found their message',
    `${m.reached} found it with the link before acting` +
      (m.notFound > 0 ? `; ${m.notFound} reported sends not found where the customer reads` : ''),
  );
  if (m.otherInstances.length > 0)
    line(
      '  NOTE',
      `${m.otherInstances.join(', ')} (tests on this devstack) also answered the run's outreach on the shared ` +
        "topics: their reports are in the outreach.event counts, not in this job's sink and journals; run tests " +
        'and the main job one at a time',
    );
  const dup = total(m.duplicates);
  line('  duplicate sends in the journals', dup === 0 ? '0' : `${dup} (${list(m.duplicates)})`);
}

/** The customers on the mini-app's pages, and what the mini-app published for them. */
function printJourneys(
  f: RunFigures,
  line: (label: string, value: string) => void,
  p: typeof percentile,
): void {
  const j = f.journeys;
  const agree = (ok: boolean) => (ok ? 'agrees' : 'DISAGREES');
  console.log('  the mini-app (customers through its real pages and forms)');
  line(
    '  journeys',
    `${j.started} started (link opened into a session), ${j.verified} verified, ${j.failedVerification} failed verification (five wrong codes), ` +
      `${j.acted} acted, ${j.declined} declined, ${j.optedOut} stopped messages`,
  );
  line('  journey outcomes', list(j.byOutcome));
  const stops = Object.entries(j.stoppedAt).sort((a, b) => b[1] - a[1]);
  if (stops.length > 0)
    line(
      '  where the others stopped',
      stops
        .slice(0, 6)
        .map(([k, v]) => `${k} ×${v}`)
        .join('; '),
    );
  line(
    '  on the way',
    `${j.refusedFirst} first tries refused naming the field, ${j.olderLinkFirst} older links opened before the newest message's, ` +
      `${j.doubleTaps} double taps, ${j.codesRequested} one-time codes requested, ` +
      `${j.requests} HTTP requests; link → done p50 ${secs(p(j.durations, 50))}, p95 ${secs(p(j.durations, 95))}`,
  );
  line(
    '  card processor (hosted page)',
    `${j.processor.pagesServed} pages served, ${j.processor.refusedOnPage} refused on its page, ${j.processor.tokensIssued} tokens issued, ${j.processor.lookups} looked up by the mini-app`,
  );
  line(
    '  miniapp.action on the topic',
    `${list(j.published)}; acted ${agree(j.agrees.acted)}, declined ${agree(j.agrees.declined)}, ` +
      `identity.locked ${agree(j.agrees.failedVerification)} with the journeys; ${j.publishedMoreThanOnce} cases published twice`,
  );
}

/** The run's audit trail: stored, verified with the public key alone, one case's story, and each SIEM's copy. */
export function printAuditTrail(a: AuditFigures | Error): void {
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  console.log('  audit trail (audit-exporter)');
  if (a instanceof Error) {
    line('  NOT CHECKED', a.message);
    return;
  }
  line(
    `  store ${a.schema}`,
    `${a.stored} of the ${a.published} audit events the services published stored` +
      ` (store end seq ${a.storeEnd}; stored, delivered to both SIEMs and sealed by a checkpoint ${a.caughtUpS.toFixed(1)} s after the job asked)`,
  );
  console.log(`    ${a.verdict}`);
  if (a.caseStory)
    line(
      '  case query (a completed case)',
      `${a.caseStory.caseId}: ${a.caseStory.events} events, first ${a.caseStory.first}, last ${a.caseStory.last}`,
    );
  const sink = (label: string, s: SinkFigures, receiver: string) =>
    line(
      `  ${label}`,
      `exported ${s.exported}, re-sent ${s.resent}, lag ${s.lagSeconds.toFixed(1)} s; ${receiver}: ${s.received} ` +
        `(${s.unique} unique), ${s.missing === 0 ? 'every stored event there' : `${s.missing} stored events MISSING`}`,
    );
  sink('Splunk HEC (simulated, acks on)', a.hec, 'events indexed');
  sink('rsyslog over TLS', a.syslog, "lines of this run in rsyslog's file");
  for (const p of a.problems) line('  NOT DONE', p);
}

/** The trail is whole: every published event stored, the chain verified, nothing missing at either SIEM. */
export function auditSucceeded(a: AuditFigures | Error): boolean {
  return (
    !(a instanceof Error) &&
    a.verified &&
    a.stored === a.published &&
    a.hec.missing === 0 &&
    a.syslog.missing === 0 &&
    a.problems.length === 0
  );
}

/** Where to look around afterwards: the platform stays up until `npm run stop`. */
export function printLookAround(ops: {
  console: string;
  trace: string | undefined;
  prometheus: string;
  alertmanager: string;
}): void {
  console.log(
    '\nThe platform is still running for a look around:\n' +
      `  ops console         ${ops.console}\n` +
      `  a case's trace      ${ops.trace ?? '(none found)'}\n` +
      `  Prometheus          ${ops.prometheus}/targets, ${ops.prometheus}/alerts (Alertmanager ${ops.alertmanager})\n` +
      '  services            http://127.0.0.1:3001..3009 (/health/ready, /metrics; /openapi.json on 3001–3003, 3008, 3009)\n' +
      `  case API            ${orchestratorUrl}/v1/cases/<caseId> and ${orchestratorUrl}/v1/exceptions (bearer ${AGENT_TOKEN})\n` +
      `  SLOs                ${reconcilerUrl}/v1/slo (bearer ${RECONCILER_TOKEN})\n` +
      'Stop it with `npm run stop`.',
  );
}
