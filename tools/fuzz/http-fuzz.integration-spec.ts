/**
 * HTTP fuzz suite over every HTTP API, against the real service processes and their production HTTP layer
 * (launch.ts → bootstrap.ts → configure-http.ts): trigger-ingest, the orchestrator, the reconciler and a writeback
 * service (its health routes), started as processes against the devstack. A fixed corpus (corpus.ts), fast-check
 * generated cases with a fixed seed (FUZZ_SEED, FUZZ_RUNS), and slow clients on raw sockets (slow-clients.ts).
 *
 * Every case: no 5xx, an answer within its bound (else a hang), the application's headers (nosniff, no
 * X-Powered-By), 4xx as problem+json with title and status, the field named where the case says so, and never the
 * injected marker in any answer. Afterwards every service is alive, live, and still accepts a valid trigger.
 */
import { randomUUID } from 'node:crypto';
import { Topics } from '@closeout/contracts';
import { kafkaConnectionFromEnv, positionGroupsAtEnd } from '@closeout/kafka';
import { devstackEnv } from '../devstack/devstack-env';
import {
  logFile,
  runningPid,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../demo/services';
import { CaseStack, PATIENT_CADENCE, freePort } from '../e2e/case-stack';
import {
  fixedCases,
  generatedCases,
  type Api,
  type FuzzCase,
  type FuzzContext,
  type Service,
} from './corpus';
import { send, type RawOutcome } from './raw-http';
import { judgeSlow, slowChecks, type SlowTarget } from './slow-clients';

jest.setTimeout(420_000);

const SEED = Number(process.env['FUZZ_SEED'] ?? 1_207_2026);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 40);
const CONCURRENCY = Number(process.env['FUZZ_CONCURRENCY'] ?? 6);
const CASE_BOUND_MS = 5_000;

const env = devstackEnv();
let stack: CaseStack;
const reconcilerToken = `it-reconciler-${randomUUID().slice(0, 8)}-0123456789`;
let reconciler: { name: string; port: number } | undefined;

async function startReconciler(run: string): Promise<{ name: string; port: number }> {
  const name = `it-${run}-reconciler`;
  // Its consumer groups start at the topics' end: the shared topics' history is not this test's business.
  await positionGroupsAtEnd(kafkaConnectionFromEnv(env), [
    { groupId: `${name}.writeback-requested`, topic: Topics.writebackRequested },
    { groupId: `${name}.writeback-result`, topic: Topics.writebackResult },
    { groupId: `${name}.case-state`, topic: Topics.caseState },
  ]);
  const port = await freePort();
  startService(
    name,
    port,
    {
      ...env,
      LOG_LEVEL: 'warn',
      SERVICE_NAME: name,
      RECONCILER_DB_SCHEMA: `recon_fuzz_${run}`,
      // A destination nobody writes to: this reconciler records nothing of other runs' traffic.
      RECONCILER_DESTINATIONS: `fuzz-${run}`,
      RECONCILER_INTERVAL: '0',
      RECONCILER_API_TOKENS: `operator=${reconcilerToken}`,
    },
    { app: 'reconciler' },
  );
  await waitUntilReady(name, port, 180_000);
  return { name, port };
}

beforeAll(async () => {
  stack = new CaseStack({
    env,
    cadence: PATIENT_CADENCE,
    writebackServices: ['writeback-rest'],
    watch: false,
    log: (line) => console.log(line),
  });
  // The reconciler boots beside the stack (which boots its services one after another).
  [, reconciler] = await Promise.all([stack.start(), startReconciler(stack.runId)]);
  console.log(`reconciler up on :${reconciler.port} (${logFile(reconciler.name)})`);
}, 400_000);

afterAll(async () => {
  if (reconciler && stopService(reconciler.name, 'SIGTERM')) await waitForExit(reconciler.name, 15_000);
  await stack?.close();
});

/** Names a problem may show as they are (configure-http's rule; trigger-ingest's attribute names are a subset). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;

/**
 * The key and query parameter names a case sent that carry the marker and are plain names: a problem may name such
 * a field (that is its job); any other occurrence of the marker is input quoted back.
 */
function plainNamesSent(c: FuzzCase, marker: string): string[] {
  const names = new Set<string>();
  const query = c.request.path.split('?')[1];
  if (query)
    for (const pair of query.split('&')) {
      try {
        names.add(decodeURIComponent(pair.split('=')[0]!));
      } catch {
        // a malformed name is never plain
      }
    }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) {
        names.add(k);
        walk(item);
      }
  };
  try {
    if (c.request.body !== undefined) walk(JSON.parse(Buffer.from(c.request.body).toString('utf8')));
  } catch {
    // not JSON: no names
  }
  return [...names]
    .filter((n) => n.includes(marker) && PLAIN_NAME.test(n))
    .sort((a, b) => b.length - a.length);
}

/** What is wrong with one answer (empty when it is right). */
function judge(
  c: FuzzCase,
  o: RawOutcome,
  marker: string,
): { problems: string[]; fiveXX: boolean; hang: boolean } {
  if (o.kind === 'timeout')
    return {
      problems: [`no ${o.partial ? 'complete ' : ''}answer within ${o.elapsedMs} ms`],
      fiveXX: false,
      hang: true,
    };
  if (o.kind === 'closed')
    return {
      problems: c.mayClose ? [] : [`closed without an answer (${o.error ?? 'EOF'})`],
      fiveXX: false,
      hang: false,
    };
  const problems: string[] = [];
  const fiveXX = o.status >= 500;
  if (fiveXX || o.status < 100) problems.push(`status ${o.status}`);
  if (c.expect && !c.expect.includes(o.status))
    problems.push(`status ${o.status}, expected ${c.expect.join('|')}`);
  const text = o.body.toString('utf8');
  const headerText = Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const named = plainNamesSent(c, marker).reduce((t, name) => t.split(name).join('«field name»'), text);
  for (const [where, t] of [
    ['body', named],
    ['headers', headerText],
  ] as const) {
    const at = t.indexOf(marker);
    // Where it was quoted, the marker itself left out of the report.
    if (at >= 0)
      problems.push(
        `the answer quotes the input in its ${where}: …${t.slice(Math.max(0, at - 60), at)}«marker»${t.slice(at + marker.length, at + marker.length + 30)}…`,
      );
  }
  if (/node_modules|\.ts:\d+|\bat [\w.<>]+ \(/.test(text)) problems.push('the answer carries a stack trace');
  // Parser-level refusals come from configureHttp's clientError handler (problem+json, nosniff) except Node's own
  // bare 417 for an unsupported Expect header.
  const fromApp = !c.parserLevel || o.headers['x-content-type-options'] !== undefined;
  if (!fromApp) return { problems, fiveXX, hang: false };
  if (o.headers['x-content-type-options'] !== 'nosniff') problems.push('no x-content-type-options: nosniff');
  if (o.headers['x-powered-by'] !== undefined) problems.push('x-powered-by present');
  if (o.status >= 400 && o.status < 500 && c.request.method.toUpperCase() !== 'HEAD') {
    if (!(o.headers['content-type'] ?? '').startsWith('application/problem+json'))
      problems.push(`4xx as ${o.headers['content-type'] ?? 'no content type'}, not problem+json`);
    try {
      const p = JSON.parse(text) as { title?: unknown; status?: unknown };
      if (typeof p.title !== 'string' || p.status !== o.status)
        problems.push('problem without title or status');
    } catch {
      problems.push('4xx body is not JSON');
    }
    if (c.names && !text.includes(c.names)) problems.push(`the problem does not name ${c.names}`);
  }
  return { problems, fiveXX, hang: false };
}

async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

interface Tally {
  cases: number;
  fiveXX: number;
  hangs: number;
  statuses: Record<string, number>;
}

test('every HTTP API: fixed corpus, generated cases and slow clients — no 5xx, no hang, no reflected input', async () => {
  const started = Date.now();
  const run = stack.runId;
  const marker = `ZQX-${run}`;
  let n = 0;
  const validTrigger = () => ({
    sourceSystem: 'core-billing',
    eventId: `fuzz-${run}-${++n}`,
    eventType: 'billing.payment_failed',
    occurredAt: new Date().toISOString(),
    customer: {
      customerId: `cus-fuzz-${run}-${n}`,
      accountId: `40${String(n).padStart(8, '0')}`,
      timeZone: 'Europe/London',
    },
    amount: { amountMinor: 4599, currency: 'GBP' },
    attributes: { customerNote: 'called about the failed payment' },
  });
  const ctx: FuzzContext = {
    marker,
    tokens: {
      ingest: stack.ingestToken,
      ops: stack.apiToken,
      agent: stack.agentToken('agent-7'),
      reconciler: reconcilerToken,
    },
    validTrigger,
    validResolution: () => ({ resolution: 'close', note: 'customer paid by phone' }),
    exceptionId: `exc-fuzz-${run}`,
  };
  const ports: Record<Service, number> = {
    'trigger-ingest': stack.instance('trigger-ingest').port,
    orchestrator: stack.instance('orchestrator').port,
    reconciler: reconciler!.port,
    'writeback-rest': stack.instance('writeback-rest').port,
  };

  const fixed = fixedCases(ctx);
  const generated = generatedCases(ctx, { seed: SEED, runs: RUNS });
  const cases = [...fixed, ...generated];
  console.log(
    `fuzz: ${fixed.length} fixed + ${generated.length} generated cases (fast-check seed ${SEED}, ${RUNS} runs per generator; ` +
      `rerun with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}), concurrency ${CONCURRENCY}`,
  );

  // Slow clients run beside the corpus: they spend their time waiting.
  const targets: SlowTarget[] = [
    {
      api: 'trigger-ingest',
      service: 'trigger-ingest',
      port: ports['trigger-ingest'],
      method: 'POST',
      path: '/v1/triggers',
      token: ctx.tokens.ingest,
    },
    {
      api: 'orchestrator',
      service: 'orchestrator',
      port: ports.orchestrator,
      method: 'POST',
      path: `/v1/exceptions/${ctx.exceptionId}/resolve`,
      token: ctx.tokens.agent,
    },
    {
      api: 'reconciler',
      service: 'reconciler',
      port: ports.reconciler,
      method: 'POST',
      path: '/v1/reconcile',
      token: ctx.tokens.reconciler,
    },
    ...(Object.keys(ports) as Service[]).map((service): SlowTarget => ({
      api: 'health',
      service,
      port: ports[service],
      method: 'GET',
      path: '/health/live',
    })),
    {
      api: 'health',
      service: 'trigger-ingest',
      port: ports['trigger-ingest'],
      method: 'POST',
      path: '/health/live',
    },
  ];
  const slow = slowChecks(targets, marker);
  const slowDone = Promise.all(slow.map(async (check) => ({ check, outcome: await check.run() })));

  const results = await pool(cases, CONCURRENCY, async (c) => ({
    c,
    outcome: await send(ports[c.service], c.request, c.timeoutMs ?? CASE_BOUND_MS),
  }));
  const slowResults = await slowDone;

  const tally: Partial<Record<Api, Tally>> = {};
  const failures: string[] = [];
  const count = (api: Api, status: string, fiveXX: boolean, hang: boolean) => {
    const t = (tally[api] ??= { cases: 0, fiveXX: 0, hangs: 0, statuses: {} });
    t.cases += 1;
    if (fiveXX) t.fiveXX += 1;
    if (hang) t.hangs += 1;
    t.statuses[status] = (t.statuses[status] ?? 0) + 1;
  };
  for (const { c, outcome } of results) {
    const verdict = judge(c, outcome, marker);
    count(
      c.api,
      outcome.kind === 'response' ? String(outcome.status) : outcome.kind,
      verdict.fiveXX,
      verdict.hang,
    );
    if (verdict.problems.length > 0)
      failures.push(`[${c.service}] ${c.name}: ${verdict.problems.join('; ')}`);
  }
  console.log(
    `slow clients:\n${slowResults
      .map(
        ({ check, outcome: o }) =>
          `  [${check.service}] ${check.name}: ${o.kind}${o.status ? ` ${o.status}` : ''} after ${o.elapsedMs} ms, ${o.bytesSent} bytes sent`,
      )
      .join('\n')}`,
  );
  for (const { check, outcome } of slowResults) {
    const verdict = judgeSlow(check, outcome);
    count(
      check.api,
      outcome.kind === 'answered' ? String(outcome.status) : outcome.kind,
      verdict.fiveXX,
      verdict.hang,
    );
    if (verdict.problems.length > 0)
      failures.push(`[${check.service}] ${check.name}: ${verdict.problems.join('; ')}`);
  }

  // Afterwards: every process alive and live, and the services still do their work.
  const after: string[] = [];
  for (const [service, port] of Object.entries(ports)) {
    const name = service === 'reconciler' ? reconciler!.name : stack.instance(service).name;
    if (runningPid(name) === undefined) after.push(`${service}: process gone`);
    const live = await fetch(`http://127.0.0.1:${port}/health/live`, {
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    if (live?.status !== 200) after.push(`${service}: /health/live ${live?.status ?? 'no answer'}`);
  }
  const accepted = await stack.postTrigger(validTrigger());
  if (accepted.status !== 202) after.push(`a valid trigger got ${accepted.status}`);
  const listed = await stack.api('/v1/exceptions?status=OPEN&limit=5');
  if (listed.status !== 200) after.push(`GET /v1/exceptions got ${listed.status}`);
  const sloAnswer = await fetch(`http://127.0.0.1:${ports.reconciler}/v1/slo`, {
    headers: { authorization: `Bearer ${reconcilerToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (sloAnswer.status !== 200) after.push(`GET /v1/slo got ${sloAnswer.status}`);

  const total = Object.values(tally).reduce((a, t) => a + t.cases, 0);
  const fiveXX = Object.values(tally).reduce((a, t) => a + t.fiveXX, 0);
  const hangs = Object.values(tally).reduce((a, t) => a + t.hangs, 0);
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  for (const [api, t] of Object.entries(tally))
    console.log(
      `fuzz ${api}: ${t.cases} cases, ${t.fiveXX} × 5xx, ${t.hangs} hangs; answers ${JSON.stringify(t.statuses)}`,
    );
  console.log(
    `FUZZ SUMMARY: ${Object.entries(tally)
      .map(([api, t]) => `${api}=${t.cases}`)
      .join(' ')} total=${total} (slow clients ${slow.length}) 5xx=${fiveXX} hangs=${hangs} ` +
      `failures=${failures.length} elapsed=${elapsed}s seed=${SEED} runs=${RUNS}`,
  );
  if (failures.length > 0)
    console.log(`fuzz failures (${failures.length}):\n${failures.slice(0, 80).join('\n')}`);

  expect(after).toEqual([]);
  expect({ fiveXX, hangs }).toEqual({ fiveXX: 0, hangs: 0 });
  expect(failures).toEqual([]);
});
