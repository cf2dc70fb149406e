/**
 * The writeback fault-and-crash harness: N writeback requests go through Kafka into a real writeback-rest process
 * against the simulated REST core with faults at a rate — and with Idempotency-Key ignored, so only Closeout's
 * ledger stands between a retry and a double posting — while the process is SIGKILLed and restarted and requests
 * are delivered again. Once everything settles it compares the core's journal, the ledger and the results on
 * Kafka, and reports the figures and every violation.
 *
 * Targets only 127.0.0.1; every loop is bounded by N, the kill count or a timeout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { xoroshiro128plus, unsafeUniformIntDistribution, type RandomGenerator } from 'pure-rand';
import type { DataSource } from 'typeorm';
import { Topics, type WritebackRequested, type WritebackResult } from '@closeout/contracts';
import { KafkaClient, positionGroupsAtEnd, type OutgoingEvent, kafkaConnectionFromEnv } from '@closeout/kafka';
import { localRequestSigning } from '@closeout/kafka';
import { createWritebackDataSource } from '@closeout/writeback-core';
import { samplePaymentRequest } from '@closeout/writeback-core/testing';
import {
  devstackEnv,
  logFile,
  runningPid,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../../demo/services';
import { restCore, sftpCore, soapCore, type CoreUnderTest, type HarnessProtocol } from './cores';

export interface HarnessOptions {
  /** Writeback requests (distinct idempotency keys). */
  n: number;
  /** SIGKILL + restart cycles of writeback-rest while work is in flight. */
  kills: number;
  /** Share of requests delivered a second time with the same event id (a Kafka redelivery). */
  redeliveryRatio?: number;
  /** Share of requests requested again under a new event id (an upstream retry). */
  reRequestRatio?: number;
  /** Share of requests followed by a rival: same key, different amount (must end REJECTED_CONFLICT). */
  conflictRatio?: number;
  /** Requests published per second; by default spread so the kills land while requests still arrive. */
  publishRatePerSecond?: number;
  /** Which writeback service and simulated core: REST (default) or SOAP. */
  protocol?: HarnessProtocol;
  seed?: number;
  /** HTTP port of the harness's writeback-rest instance. */
  servicePort?: number;
  settleTimeoutMs?: number;
  /** Keep the ledger schema afterwards (for inspection). */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface HarnessReport {
  runId: string;
  schema: string;
  requests: number;
  deliveries: { total: number; redeliveries: number; reRequests: number; conflictRivals: number };
  kills: number;
  elapsedMs: number;
  settled: boolean;
  ledger: Record<string, number>;
  core: {
    writes: number;
    postings: number;
    duplicatePostings: number;
    /** Postings the core made again by its own fault (its journal says so): its reconciler's to find, not ours. */
    repostedByCore: number;
    faultsInjected: Record<string, number>;
    /** Figures only this kind of core has (see `CoreStats.figures`). */
    figures: Record<string, number>;
    invalidThenRetried: number;
    retryAfterViolations: number;
  };
  /** Re-sends after a 4xx: by the retry policy (must be 0), and after a kill lost the 4xx before it was recorded. */
  fourXX: { retriedByPolicy: number; answerLostToKill: number };
  attempts: { sends: number; resolves: number; sendsLostToKills: number };
  unknowns: {
    total: number;
    resolvedByLookup: number;
    foundApplied: number;
    confirmedAbsent: number;
    /** Sends whose outcome was unknown, by the provider code the destination gave (why it could not tell). */
    byCause: Record<string, number>;
  };
  blindResends: number;
  results: { keysWithTerminalResult: number; conflictsRejected: number };
  violations: string[];
}

const REQUEST_TIMEOUT_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Random {
  private rng: RandomGenerator;
  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return unsafeUniformIntDistribution(0, 0x7fffffff, this.rng) / 0x80000000;
  }
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
}

interface LedgerFacts {
  id: string;
  idempotency_key: string;
  status: string;
  provider_ref: string | null;
  last_error_class: string | null;
}

interface AttemptFacts {
  ledger_id: string;
  attempt_no: number;
  kind: 'send' | 'resolve';
  outcome: string;
  provider_code: string | null;
  error_class: string | null;
}

export async function runWritebackHarness(options: HarnessOptions): Promise<HarnessReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const random = new Random(seed);
  const runId = randomBytes(3).toString('hex');
  const schema = `wb_harness_${runId}`;
  const serviceName = `writeback-${(options.protocol ?? 'REST').toLowerCase()}-h${runId}`;
  const port = options.servicePort ?? 3105;
  // One service instance per protocol and port: harnesses run side by side on other ports never kill each other's.
  const INSTANCE = `writeback-harness-${(options.protocol ?? 'REST').toLowerCase()}-${port}`;
  const env = devstackEnv();
  const violations: string[] = [];
  log(`harness ${runId}: N=${options.n}, kills=${options.kills}, seed=${seed}, schema ${schema}`);

  if (runningPid(INSTANCE) !== undefined) {
    stopService(INSTANCE, 'SIGKILL');
    await waitForExit(INSTANCE, 5_000);
  }

  // The core, with every fault mode it has at a rate (see cores.ts).
  const coreRandom = new Random(seed + 1);
  const protocol = options.protocol ?? 'REST';
  const coreRandomSource = () => coreRandom.next();
  const core: CoreUnderTest =
    protocol === 'SFTP'
      ? await sftpCore(coreRandomSource, env, runId)
      : await (protocol === 'SOAP' ? soapCore : restCore)(coreRandomSource);

  // The harness stands in for the orchestrator: it signs its requests with a key pair of this run's own.
  const signing = localRequestSigning(`harness-${runId}`);
  const kafka = new KafkaClient({
    clientId: `harness-${runId}`,
    signer: signing.signer,
    ...kafkaConnectionFromEnv(env),
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.writebackRequested, Topics.writebackResult, Topics.auditEvent],
  });
  let db: DataSource | undefined;
  const started = Date.now();
  try {
    await kafka.start();

    // Results, from now on: the proof that each request's outcome reached Kafka through the outbox.
    const results = new Map<string, WritebackResult[]>();
    const resultSubscription = await kafka.subscriber.subscribe({
      groupId: `harness-${runId}.results`,
      topic: Topics.writebackResult,
      handler: ({ value }) => {
        results.set(value.idempotencyKey, [...(results.get(value.idempotencyKey) ?? []), value]);
        return Promise.resolve();
      },
    });
    await resultSubscription.whenPositioned();

    // The new instance's consumer group starts at the topic's current end, committed as concrete offsets: a kill
    // before its first commit must not make it skip requests published meanwhile.
    await positionGroupsAtEnd(kafkaConnectionFromEnv(env), [
      { groupId: `${serviceName}.writeback-requested`, topic: Topics.writebackRequested },
    ]);

    const serviceEnv: Record<string, string> = {
      ...env,
      SERVICE_NAME: serviceName,
      LOG_LEVEL: 'warn',
      WRITEBACK_DB_SCHEMA: schema,
      WRITEBACK_LEASE_MS: '5000',
      ...signing.writebackEnv,
      ...core.destinationsEnv(runId, REQUEST_TIMEOUT_MS),
      WRITEBACK_RETRY_POLICY: JSON.stringify({
        [core.destination]: {
          baseDelayMs: 100,
          maxDelayMs: 2_000,
          maxAttempts: 20,
          circuitOpenWaitMs: 1_000,
          // A slow commit answers after SLOW_COMMIT_MS: ask only once it has certainly landed.
          unknownResolveDelayMs: 2_000,
        },
      }),
      WRITEBACK_BREAKER: JSON.stringify({ [core.destination]: { probeIntervalMs: 1_000 } }),
      ...core.serviceEnv,
    };
    const boot = async (): Promise<void> => {
      startService(INSTANCE, port, serviceEnv, { app: core.app });
      await waitUntilReady(INSTANCE, port, 120_000);
    };
    await boot();
    db = await createWritebackDataSource({
      url: env['DATABASE_URL']!,
      schema,
      poolSize: 2,
      runMigrations: false,
    });
    log(`${core.app} up on :${port} (${logFile(INSTANCE)}), core on ${core.where}`);

    // The requests, their redeliveries, re-requests and conflicting rivals.
    const requests = Array.from({ length: options.n }, (_, i) =>
      samplePaymentRequest(i, {
        customerId: `h${runId}-${i % 997}`,
        destination: core.destination,
        protocol: core.protocol,
      }),
    );
    const deliveries: WritebackRequested[] = [];
    const later: WritebackRequested[] = [];
    const rivals = new Map<string, WritebackRequested>();
    const counts = { redeliveries: 0, reRequests: 0, conflictRivals: 0 };
    for (const request of requests) {
      deliveries.push(request);
      if (random.next() < (options.redeliveryRatio ?? 0.1)) {
        later.push(request);
        counts.redeliveries += 1;
      }
      if (random.next() < (options.reRequestRatio ?? 0.02)) {
        later.push({ ...request, eventId: randomUUID() });
        counts.reRequests += 1;
      }
      if (random.next() < (options.conflictRatio ?? 0.005)) {
        const payload = JSON.parse(request.payloadJson) as { amount: { amountMinor: number } };
        payload.amount.amountMinor += 1;
        const rival = { ...request, eventId: randomUUID(), payloadJson: JSON.stringify(payload) };
        rivals.set(rival.eventId, rival);
        later.push(rival);
        counts.conflictRivals += 1;
      }
      // Later deliveries trail their original by a while, like a redelivery after a rebalance.
      if (later.length > 0 && random.next() < 0.2) deliveries.push(later.shift()!);
    }
    deliveries.push(...later);

    const rate =
      options.publishRatePerSecond ?? Math.max(50, Math.ceil(options.n / Math.max(1, options.kills * 12)));
    let publishing = true;
    const publisher = (async () => {
      const batch = Math.max(1, Math.ceil(rate / 10));
      for (let i = 0; i < deliveries.length; i += batch) {
        const slice = deliveries.slice(i, i + batch);
        await kafka.publisher.publishMany(slice.map(toEvent));
        await sleep(100);
      }
      publishing = false;
      log(`published ${deliveries.length} deliveries in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    })();

    // Kills land while requests arrive and the backlog drains; each waits for the previous restart.
    let killed = 0;
    const chaos = (async () => {
      for (let k = 0; k < options.kills; k += 1) {
        await sleep(random.between(1_500, 4_000));
        stopService(INSTANCE, 'SIGKILL');
        await waitForExit(INSTANCE, 5_000);
        killed += 1;
        const inFlight = await scalar(
          db!,
          `SELECT count(*)::int AS n FROM "${schema}".ledger WHERE status IN ('IN_FLIGHT','UNKNOWN','PENDING','FAILED_RETRYABLE')`,
        );
        log(`kill ${killed}/${options.kills}: SIGKILL with ${inFlight} rows unsettled; restarting`);
        await boot();
      }
    })();

    const keys = new Set(requests.map((r) => r.idempotencyKey));
    const settleDeadline = Date.now() + (options.settleTimeoutMs ?? Math.max(180_000, options.n * 40));
    let settled = false;
    let lastLog = 0;
    while (Date.now() < settleDeadline) {
      await sleep(500);
      if (publishing || killed < options.kills) continue;
      const rows = await scalar(db, `SELECT count(*)::int AS n FROM "${schema}".ledger`);
      const open = await scalar(
        db,
        `SELECT count(*)::int AS n FROM "${schema}".ledger WHERE status NOT IN ('APPLIED','FAILED_PERMANENT','REJECTED_CONFLICT','COMPENSATED')`,
      );
      const unpublished = await scalar(
        db,
        `SELECT count(*)::int AS n FROM "${schema}".outbox WHERE published_at IS NULL`,
      );
      const answered = [...keys].filter((k) => (results.get(k) ?? []).some(isTerminalResult)).length;
      if (Date.now() - lastLog > 5_000) {
        log(
          `settling: ${rows}/${options.n} admitted, ${open} open, ${unpublished} unpublished, ${answered} answered`,
        );
        lastLog = Date.now();
      }
      if (rows === options.n && open === 0 && unpublished === 0 && answered === options.n) {
        settled = true;
        break;
      }
    }
    await Promise.all([publisher, chaos]);
    const elapsedMs = Date.now() - started;
    if (!settled) violations.push('did not settle before the timeout');

    // --- the comparison ---------------------------------------------------------------------------------------
    const ledger: LedgerFacts[] = await db.query(
      `SELECT id::text, idempotency_key, status, provider_ref, last_error_class FROM "${schema}".ledger`,
    );
    const attempts: AttemptFacts[] = await db.query(
      `SELECT ledger_id::text, attempt_no, kind, outcome, provider_code, error_class FROM "${schema}".ledger_attempt ORDER BY ledger_id, attempt_no`,
    );
    const journal = core.journal();
    const stats = core.stats();

    const byStatus: Record<string, number> = {};
    for (const row of ledger) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    const rowByKey = new Map(ledger.map((r) => [r.idempotency_key, r]));
    for (const key of keys) {
      const row = rowByKey.get(key);
      if (!row) violations.push(`request ${key} has no ledger row`);
      else if (!['APPLIED', 'FAILED_PERMANENT'].includes(row.status))
        violations.push(`request ${key} ended ${row.status}`);
    }
    if (ledger.length !== keys.size)
      violations.push(`ledger holds ${ledger.length} rows for ${keys.size} requests`);

    const postingsByKey = new Map<string, typeof journal>();
    for (const entry of journal) {
      if (entry.idempotencyKey === null) continue;
      postingsByKey.set(entry.idempotencyKey, [...(postingsByKey.get(entry.idempotencyKey) ?? []), entry]);
    }
    let duplicatePostings = 0;
    let repostedByCore = 0;
    for (const [key, postings] of postingsByKey) {
      // A key the core posted again by its own fault has two real postings; either reference names one.
      const reposted = postings.filter((p) => p.repostedByCore).length;
      repostedByCore += reposted;
      duplicatePostings += postings.length - reposted - 1;
      const row = rowByKey.get(key);
      if (!row) violations.push(`the core posted ${key}, which the ledger never admitted`);
      else if (row.status !== 'APPLIED')
        violations.push(`the core posted ${key} but the ledger says ${row.status}`);
      else if (!postings.some((p) => p.providerRef === row.provider_ref))
        violations.push(
          `${key}: ledger providerRef ${row.provider_ref} is none of the core's postings (${postings.map((p) => p.providerRef).join(', ')})`,
        );
    }
    for (const row of ledger) {
      if (row.status === 'APPLIED' && !postingsByKey.has(row.idempotency_key))
        violations.push(`${row.idempotency_key} is APPLIED in the ledger but the core has no posting`);
    }
    if (duplicatePostings > 0) violations.push(`${duplicatePostings} duplicate postings in the core`);
    violations.push(...(stats.clientViolations ?? []));

    // Blind re-sends: a send after an unknown outcome without a lookup that found nothing in between.
    let blindResends = 0;
    let unknownTotal = 0;
    let resolvedByLookup = 0;
    let foundApplied = 0;
    let confirmedAbsent = 0;
    const unknownByCause: Record<string, number> = {};
    let lastLedger = '';
    let unresolved = false;
    for (const a of attempts) {
      if (a.ledger_id !== lastLedger) {
        lastLedger = a.ledger_id;
        unresolved = false;
      }
      if (a.kind === 'send') {
        if (unresolved) blindResends += 1;
        if (a.outcome === 'UNKNOWN') {
          unresolved = true;
          unknownTotal += 1;
          const cause = a.provider_code ?? 'none';
          unknownByCause[cause] = (unknownByCause[cause] ?? 0) + 1;
        }
      } else {
        // A lookup with no unknown send before it: a send abandoned by a killed process, found by its expired lease.
        if (!unresolved) unknownTotal += 1;
        if (a.outcome === 'UNKNOWN') {
          unresolved = true;
          continue;
        }
        resolvedByLookup += 1;
        if (a.outcome === 'APPLIED') foundApplied += 1;
        if (a.provider_code === 'not_found') confirmedAbsent += 1;
        unresolved = false;
      }
    }
    if (blindResends > 0) violations.push(`${blindResends} blind re-sends after an unknown outcome`);
    // A 4xx the service recorded must never be followed by another send. A 4xx whose answer died with a killed
    // process before it was recorded is, to the ledger, an unknown outcome: asked about, found absent, sent again —
    // like any send lost to a crash. Those are counted apart; only the first kind breaks the retry policy.
    let fourXXRetriedByPolicy = 0;
    let fourXXLostToKills = 0;
    const attemptsByLedger = new Map<string, AttemptFacts[]>();
    for (const a of attempts)
      attemptsByLedger.set(a.ledger_id, [...(attemptsByLedger.get(a.ledger_id) ?? []), a]);
    for (const key of Object.keys(stats.invalidThenRetried.byIdempotencyKey)) {
      const history = attemptsByLedger.get(rowByKey.get(key)?.id ?? '') ?? [];
      const recorded = history.findIndex((a) => a.error_class === 'VALIDATION');
      if (recorded >= 0 && history.slice(recorded + 1).some((a) => a.kind === 'send'))
        fourXXRetriedByPolicy += 1;
      else fourXXLostToKills += 1;
    }
    if (fourXXRetriedByPolicy > 0)
      violations.push(`${fourXXRetriedByPolicy} requests re-sent after a recorded 4xx`);
    if (stats.retryAfterViolations.total > 0)
      violations.push(`${stats.retryAfterViolations.total} writes before their Retry-After`);

    // Conflicting rivals never reach the core, and are answered REJECTED_CONFLICT.
    let conflictsRejected = 0;
    for (const rival of rivals.values()) {
      const answered = (results.get(rival.idempotencyKey) ?? []).some(
        (r) => r.status === 'REJECTED_CONFLICT' && r.causationId === rival.eventId,
      );
      if (answered) conflictsRejected += 1;
      else
        violations.push(`rival ${rival.eventId} for ${rival.idempotencyKey} got no REJECTED_CONFLICT result`);
      const rivalBody = JSON.parse(rival.payloadJson) as { amount: { amountMinor: number } };
      for (const posting of postingsByKey.get(rival.idempotencyKey) ?? []) {
        if (posting.amountMinor === rivalBody.amount.amountMinor)
          violations.push(`the core saw the rival payload of ${rival.idempotencyKey}`);
      }
    }
    const keysWithTerminalResult = [...keys].filter((k) =>
      (results.get(k) ?? []).some(isTerminalResult),
    ).length;
    if (keysWithTerminalResult !== keys.size)
      violations.push(
        `${keys.size - keysWithTerminalResult} requests have no terminal writeback.result on Kafka`,
      );

    const sends = attempts.filter((a) => a.kind === 'send').length;
    const report: HarnessReport = {
      runId,
      schema,
      requests: options.n,
      deliveries: { total: deliveries.length, ...counts },
      kills: killed,
      elapsedMs,
      settled,
      ledger: byStatus,
      core: {
        writes: stats.writes,
        postings: journal.length,
        duplicatePostings,
        repostedByCore,
        faultsInjected: Object.fromEntries(Object.entries(stats.faultsInjected).filter(([, v]) => v > 0)),
        figures: stats.figures ?? {},
        invalidThenRetried: stats.invalidThenRetried.total,
        retryAfterViolations: stats.retryAfterViolations.total,
      },
      attempts: {
        sends,
        resolves: attempts.length - sends,
        sendsLostToKills: Math.max(0, stats.writes - sends),
      },
      unknowns: {
        total: unknownTotal,
        resolvedByLookup,
        foundApplied,
        confirmedAbsent,
        byCause: unknownByCause,
      },
      fourXX: { retriedByPolicy: fourXXRetriedByPolicy, answerLostToKill: fourXXLostToKills },
      blindResends,
      results: { keysWithTerminalResult, conflictsRejected },
      violations,
    };
    await resultSubscription.stop();
    return report;
  } finally {
    stopService(INSTANCE, 'SIGTERM');
    if (!(await waitForExit(INSTANCE, 15_000))) {
      stopService(INSTANCE, 'SIGKILL');
      await waitForExit(INSTANCE, 5_000);
    }
    if (db) {
      if (!options.keep) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.destroy();
    }
    await kafka.close();
    await core.close();
  }
}

function isTerminalResult(result: WritebackResult): boolean {
  return result.status === 'APPLIED' || result.status === 'FAILED_PERMANENT';
}

function toEvent(request: WritebackRequested): OutgoingEvent {
  return {
    topic: Topics.writebackRequested,
    key: { caseId: request.caseId },
    value: request,
    headers: { correlationId: request.correlationId, idempotencyKey: request.idempotencyKey },
  };
}

async function scalar(db: DataSource, sql: string): Promise<number> {
  const [row] = (await db.query(sql)) as Array<{ n: number }>;
  return Number(row?.n ?? 0);
}

/** One line per figure, for a terminal or a note. */
export function formatReport(r: HarnessReport): string {
  const lines = [
    `run ${r.runId}: ${r.requests} requests, ${r.deliveries.total} deliveries (${r.deliveries.redeliveries} redeliveries, ${r.deliveries.reRequests} re-requests, ${r.deliveries.conflictRivals} conflicting rivals), ${r.kills} kills, ${(r.elapsedMs / 1000).toFixed(1)} s, settled: ${r.settled}`,
    `ledger:      ${Object.entries(r.ledger)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `core:        ${r.core.writes} writes, ${r.core.postings} postings, duplicate postings ${r.core.duplicatePostings}${r.core.repostedByCore > 0 ? `, posted again by the core itself ${r.core.repostedByCore}` : ''}`,
    ...(Object.keys(r.core.figures).length > 0
      ? [
          `core saw:    ${Object.entries(r.core.figures)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        ]
      : []),
    `faults:      ${Object.entries(r.core.faultsInjected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `attempts:    ${r.attempts.sends} sends recorded, ${r.attempts.resolves} lookups, ${r.attempts.sendsLostToKills} sends whose outcome died with a killed process`,
    `unknowns:    ${r.unknowns.resolvedByLookup} resolved by lookup (${r.unknowns.foundApplied} found applied, ${r.unknowns.confirmedAbsent} confirmed absent, then re-sent); unknown sends by cause: ${
      Object.entries(r.unknowns.byCause)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    `blind re-sends: ${r.blindResends}; 4xx retried by policy: ${r.fourXX.retriedByPolicy} (re-sent because a kill lost the 4xx before it was recorded: ${r.fourXX.answerLostToKill}); Retry-After undercut: ${r.core.retryAfterViolations}`,
    `results:     ${r.results.keysWithTerminalResult}/${r.requests} requests with a terminal writeback.result on Kafka; ${r.results.conflictsRejected}/${r.deliveries.conflictRivals} rivals rejected_conflict`,
    r.violations.length === 0
      ? 'violations:  none'
      : `violations (${r.violations.length}):\n  ${r.violations.slice(0, 50).join('\n  ')}`,
  ];
  return lines.join('\n');
}
