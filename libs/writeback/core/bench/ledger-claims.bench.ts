/**
 * How fast the ledger hands out and settles work on this PostgreSQL, next to a plain INSERT loop as the floor of
 * what one row costs. A script, not a test:
 *
 *   node_modules/.bin/node -r @swc-node/register libs/writeback/core/bench/ledger-claims.bench.ts [N] [workers] [batch]
 *
 * N rows (default 5000), 2–4 concurrent workers (default 4), claimDue batch size (default 10). Uses DATABASE_URL,
 * else the devstack's postgres://postgres@127.0.0.1:5432/closeout, in a throwaway schema dropped at the end.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { buildAuditMessage } from '@closeout/audit';
import { Topics, type WritebackRequested } from '@closeout/contracts';
import type { OutboxMessage } from '@closeout/outbox';
import { createWritebackDataSource, LedgerRepository, type LedgerRow } from '../src';

const N = Number(process.argv[2] ?? 5000);
const WORKERS = Number(process.argv[3] ?? 4);
const BATCH = Number(process.argv[4] ?? 10);
const URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/closeout';

function request(i: number, run: string): WritebackRequested {
  return {
    eventId: `bench-${run}-${i}`,
    occurredAt: Date.now(),
    correlationId: `corr-${run}-${i}`,
    causationId: null,
    idempotencyKey: `idem-${run}-${i}`,
    destination: `core-${i % 3}`,
    protocol: 'REST',
    operation: 'payment.post',
    caseId: `case-${run}-${i}`,
    workflowId: 'failed-payment-recovery',
    contractVersion: '1.0.0',
    mappingVersion: 'core.payment.post.v1',
    payloadJson: JSON.stringify({ accountId: `ACC-${i}`, amountMinor: 1000 + i, currency: 'EUR' }),
    consentRef: null,
    requestedAt: Date.now(),
  };
}

/** What a worker writes on APPLIED: the writeback.result and its audit event, as in production. */
function applied(row: LedgerRow): OutboxMessage[] {
  return [
    {
      topic: Topics.writebackResult,
      key: { caseId: row.caseId },
      headers: { correlationId: row.correlationId, idempotencyKey: row.idempotencyKey },
      value: {
        eventId: randomBytes(16).toString('hex'),
        occurredAt: Date.now(),
        correlationId: row.correlationId,
        causationId: row.request.eventId,
        idempotencyKey: row.idempotencyKey,
        destination: row.destination,
        protocol: row.protocol,
        operation: row.operation,
        caseId: row.caseId,
        workflowId: row.workflowId,
        status: 'APPLIED',
        providerRef: row.providerRef,
        errorClass: null,
        errorMessage: null,
        attempts: row.attempts,
        latencyMs: 5,
        contractVersion: row.contractVersion,
        mappingVersion: row.mappingVersion,
        duplicate: false,
        destinationDegraded: false,
      },
    },
    // Built as the worker builds it (@closeout/audit's builder): checked, bounded and masked, as in production.
    buildAuditMessage('writeback-bench', {
      actor: { type: 'SERVICE', id: 'writeback-bench' },
      action: 'writeback.applied',
      outcome: 'SUCCESS',
      reason: 'destination acknowledged',
      correlationId: row.correlationId,
      causationId: row.request.eventId,
      caseId: row.caseId,
      versions: { contract: row.contractVersion, mapping: row.mappingVersion },
      references: { idempotencyKey: row.idempotencyKey, providerRef: row.providerRef ?? '' },
    }),
  ];
}

class Timings {
  private readonly samples: number[] = [];
  async time<T>(work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  percentile(p: number): number {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  }
  get count(): number {
    return this.samples.length;
  }
}

const seconds = (startedAt: bigint) => Number(process.hrtime.bigint() - startedAt) / 1e9;
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');

async function settle(
  ledger: LedgerRepository,
  owner: string,
  row: LedgerRow,
  timings: Timings,
): Promise<void> {
  await timings.time(() =>
    ledger.transition(row.id, {
      from: ['IN_FLIGHT'],
      to: 'APPLIED',
      owner,
      providerRef: `CORE-${row.id}`,
      attempt: { kind: 'send', startedAt: new Date(), finishedAt: new Date(), providerCode: '201' },
      outbox: applied(row), // precomputed, as the worker does: one statement
    }),
  );
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 1) throw new Error(`N must be a positive integer, got ${process.argv[2]}`);
  if (!Number.isInteger(WORKERS) || WORKERS < 1)
    throw new Error(`workers must be a positive integer, got ${process.argv[3]}`);
  const schema = `wb_bench_${randomBytes(4).toString('hex')}`;
  const dataSource = await createWritebackDataSource({
    url: URL,
    schema,
    poolSize: WORKERS + 2,
    runMigrations: true,
  });
  const ledger = new LedgerRepository(dataSource);
  const lines: string[][] = [];
  const report = (what: string, n: number, s: number, unit: string, detail = '') =>
    lines.push([what, n.toLocaleString('en-US'), s.toFixed(2), `${rate(n, s)} ${unit}`, detail]);

  try {
    const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
    console.log(
      `ledger benchmark: N=${N}, workers=${WORKERS}, claim batch=${BATCH}, PostgreSQL ${version}, ${cpus().length} CPUs, schema ${schema}`,
    );

    // 1. Admission, one connection, one row per round trip — the consumer's hot path.
    let startedAt = process.hrtime.bigint();
    for (let i = 0; i < N; i += 1) await ledger.admit(request(i, 'a'), `fp-${i}`);
    report(
      'admit (INSERT … ON CONFLICT DO NOTHING RETURNING)',
      N,
      seconds(startedAt),
      'rows/s',
      '1 connection, sequential',
    );

    // 2. Claims only: W workers drain the due rows in batches.
    const claimTimings = new Timings();
    const claimedBy = new Map<string, LedgerRow[]>();
    startedAt = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const owner = `bench-worker-${w}`;
        const mine: LedgerRow[] = [];
        claimedBy.set(owner, mine);
        for (;;) {
          const rows = await claimTimings.time(() => ledger.claimDue(owner, BATCH, 300_000));
          if (rows.length === 0) return;
          mine.push(...rows);
        }
      }),
    );
    const claimSeconds = seconds(startedAt);
    const claimed = [...claimedBy.values()].reduce((n, rows) => n + rows.length, 0);
    report(
      'claimDue (FOR UPDATE SKIP LOCKED + lease)',
      claimed,
      claimSeconds,
      'rows/s',
      `${WORKERS} workers, ${claimTimings.count} statements, p50 ${claimTimings.percentile(50).toFixed(1)} ms, p95 ${claimTimings.percentile(95).toFixed(1)} ms`,
    );

    // 3. Transitions only: each worker settles what it claimed (guarded UPDATE + attempt + 2 outbox rows, 1 tx).
    const transitionTimings = new Timings();
    startedAt = process.hrtime.bigint();
    await Promise.all(
      [...claimedBy].map(async ([owner, rows]) => {
        for (const row of rows) await settle(ledger, owner, row, transitionTimings);
      }),
    );
    report(
      'transition → APPLIED (+ attempt + 2 outbox rows)',
      transitionTimings.count,
      seconds(startedAt),
      'transitions/s',
      `${WORKERS} workers, p50 ${transitionTimings.percentile(50).toFixed(1)} ms, p95 ${transitionTimings.percentile(95).toFixed(1)} ms`,
    );

    // 4. Both together, as workers run: claim a batch, settle it, repeat.
    for (let i = 0; i < N; i += 1) await ledger.admit(request(i, 'b'), `fp-${i}`);
    let settled = 0;
    startedAt = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const owner = `bench-loop-${w}`;
        const timings = new Timings();
        for (;;) {
          const rows = await ledger.claimDue(owner, BATCH, 300_000);
          if (rows.length === 0) return;
          for (const row of rows) await settle(ledger, owner, row, timings);
          settled += rows.length;
        }
      }),
    );
    report(
      'claim + transition loop (end to end)',
      settled,
      seconds(startedAt),
      'rows/s',
      `${WORKERS} workers`,
    );

    // 5. The floor: a plain INSERT of the same columns into a table with only a primary key.
    await dataSource.query(
      `CREATE TABLE "${schema}".plain_insert (LIKE "${schema}".ledger INCLUDING DEFAULTS)`,
    );
    await dataSource.query(`ALTER TABLE "${schema}".plain_insert ADD PRIMARY KEY (id)`);
    startedAt = process.hrtime.bigint();
    for (let i = 0; i < N; i += 1) {
      const r = request(i, 'c');
      await dataSource.query(
        `INSERT INTO "${schema}".plain_insert (destination, idempotency_key, fingerprint, operation, protocol, case_id,
           workflow_id, correlation_id, causation_id, request, contract_version, mapping_version, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, now())`,
        [
          r.destination,
          r.idempotencyKey,
          `fp-${i}`,
          r.operation,
          r.protocol,
          r.caseId,
          r.workflowId,
          r.correlationId,
          r.causationId,
          JSON.stringify(r),
          r.contractVersion,
          r.mappingVersion,
        ],
      );
    }
    report('plain INSERT loop (PK only)', N, seconds(startedAt), 'inserts/s', '1 connection, sequential');

    // Nothing was claimed twice or settled twice.
    const counts = await ledger.countByStatus();
    const [{ attempts, outbox }] = await dataSource.query(
      `SELECT (SELECT count(*) FROM "${schema}".ledger_attempt)::int AS attempts, (SELECT count(*) FROM "${schema}".outbox)::int AS outbox`,
    );
    const ok =
      counts.APPLIED === 2 * N && attempts === 2 * N && outbox === 4 * N && claimed === N && settled === N;

    const widths = [0, 1, 2, 3].map((c) =>
      Math.max(...lines.map((l) => l[c]!.length), ['phase', 'rows', 'seconds', 'throughput'][c]!.length),
    );
    const row = (cells: string[]) =>
      cells
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : c < 4 ? cell.padStart(widths[c]!) : cell))
        .join('  ');
    console.log(row(['phase', 'rows', 'seconds', 'throughput', 'notes']));
    for (const l of lines) console.log(row(l));
    console.log(
      `check: ${counts.APPLIED} APPLIED, ${attempts} attempts, ${outbox} outbox rows for ${2 * N} requests — ${ok ? 'each row claimed and settled exactly once' : 'MISMATCH'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
