/** The figures of each case: latency, the cores' own time, and the split per hop along its critical path. */
import { Client } from 'pg';
import { writebackTables } from '@closeout/writeback-core';
import type { Bench, CaseRun } from './driver';
import { unionLength } from './stats';

export interface LedgerTimes {
  createdAt: number;
  startedAt: number;
  finishedAt: number;
}

export async function ledgerTimes(databaseUrl: string, schemas: string[]): Promise<Map<string, LedgerTimes>> {
  const out = new Map<string, LedgerTimes>();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const schema of schemas) {
      const t = writebackTables(schema);
      const rows = (
        await db.query<{ key: string; created: number; started: number; finished: number }>(
          `SELECT l.idempotency_key AS key,
                  extract(epoch FROM l.created_at) * 1000 AS created,
                  extract(epoch FROM a.started_at) * 1000 AS started,
                  extract(epoch FROM a.finished_at) * 1000 AS finished
           FROM ${t.ledger} l JOIN ${t.attempt} a ON a.ledger_id = l.id AND a.outcome = 'APPLIED'`,
        )
      ).rows;
      for (const r of rows) {
        out.set(r.key, {
          createdAt: Number(r.created),
          startedAt: Number(r.started),
          finishedAt: Number(r.finished),
        });
      }
    }
  } finally {
    await db.end();
  }
  return out;
}

export async function dropSchemas(databaseUrl: string, schemas: string[]): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await db.end();
  }
}

export interface CaseFigures {
  run: CaseRun;
  workflowId: string;
  /** Trigger POST sent → last required writeback APPLIED seen. */
  latency: number;
  /** Trigger POST sent → case.state COMPLETED seen (and every APPLIED seen). */
  toDone: number;
  coreMs: number;
  /** Outreach published → action published: the bench standing in for the customer. */
  standIn: number;
  hops: Record<string, number>;
}

export const HOPS: [string, string][] = [
  ['http', 'trigger-ingest: POST sent → 202 received'],
  ['ingest', 'trigger-ingest: POST sent → case.triggered sent'],
  ['orchOpen', 'orchestrator: case.triggered sent → case opened (outreach tx)'],
  ['orchRelay1', 'orchestrator outbox: tx → outreach.requested sent'],
  ['watch1', 'bench: outreach.requested sent → seen'],
  ['standIn', 'bench: seen → miniapp.action published (batching)'],
  ['orchAction', 'orchestrator: action sent → writeback.requested tx'],
  ['orchRelay2', 'orchestrator outbox: tx → writeback.requested sent'],
  ['wbIntake', 'writeback: requested sent → ledger row created'],
  ['wbClaim', 'writeback: ledger row → claimed, call started'],
  ['wbCall', 'writeback: call to the core (adapter view)'],
  ['wbRecord', 'writeback: call done → APPLIED tx'],
  ['wbRelay', 'writeback outbox: tx → writeback.result sent'],
  ['orchResult', 'orchestrator: result sent → COMPLETED tx'],
  ['orchRelay3', 'orchestrator outbox: tx → case.state sent'],
  ['watch2', 'bench: case.state sent → seen'],
];

function figuresOf(
  bench: Bench,
  runs: CaseRun[],
  cores: Map<string, [number, number]>,
  ledger: Map<string, LedgerTimes>,
): CaseFigures[] {
  const out: CaseFigures[] = [];
  for (const r of runs) {
    if (r.failed || r.caseId === undefined || r.sentAt === undefined) continue;
    const c = bench.messages.get(r.caseId);
    if (!c?.completed || !c.triggered || !c.outreach || r.actionSentAt === undefined) continue;
    const required = c.completed.required.map((k) => [k, c.writebacks.get(k)!] as const);
    if (required.length === 0) continue;
    const lastApplied = Math.max(...required.map(([, w]) => w.applied!.seenAt));
    // The critical path: the writeback whose APPLIED transaction came last.
    const [critKey, crit] = required.reduce((a, b) =>
      b[1].applied!.occurredAt > a[1].applied!.occurredAt ? b : a,
    );
    const req = crit.requested;
    const res = crit.applied!;
    const l = ledger.get(critKey);
    const coreMs = unionLength(required.flatMap(([k]) => (cores.has(k) ? [cores.get(k)!] : [])));
    const hops: Record<string, number> = {
      http: (r.postedAt ?? NaN) - r.sentAt,
      ingest: c.triggered.ts - r.sentAt,
      orchOpen: c.outreach.occurredAt - c.triggered.ts,
      orchRelay1: c.outreach.ts - c.outreach.occurredAt,
      watch1: c.outreach.seenAt - c.outreach.ts,
      standIn: r.actionSentAt - c.outreach.seenAt,
      orchAction: (req?.occurredAt ?? NaN) - r.actionSentAt,
      orchRelay2: req ? req.ts - req.occurredAt : NaN,
      wbIntake: l && req ? l.createdAt - req.ts : NaN,
      wbClaim: l ? l.startedAt - l.createdAt : NaN,
      wbCall: l ? l.finishedAt - l.startedAt : NaN,
      wbRecord: l ? res.occurredAt - l.finishedAt : NaN,
      wbRelay: res.ts - res.occurredAt,
      orchResult: c.completed.occurredAt - res.ts,
      orchRelay3: c.completed.ts - c.completed.occurredAt,
      watch2: c.completed.seenAt - c.completed.ts,
    };
    out.push({
      run: r,
      workflowId: r.sample.workflowId,
      latency: lastApplied - r.sentAt,
      toDone: r.doneAt! - r.sentAt,
      coreMs,
      standIn: r.actionSentAt - c.outreach.ts,
      hops,
    });
  }
  return out;
}

/** The measured run's figures: per case, over the steady middle (completions 10 %–90 %), and the rates. */
export interface RunSummary {
  figures: CaseFigures[];
  steadyFigures: CaseFigures[];
  failed: CaseRun[];
  /** Completion times of the cases that finished, in order. */
  doneTimes: number[];
  /** The steady middle's first and last completion, as indexes into doneTimes. */
  lo: number;
  hi: number;
  /** Cases per second over the steady middle and over the whole run. */
  steady: number;
  whole: number;
  /** Wall time of the run, in seconds. */
  wall: number;
}

export function summarize(
  bench: Bench,
  phase: { runs: CaseRun[]; startedAt: number; endedAt: number },
  cores: Map<string, [number, number]>,
  ledger: Map<string, LedgerTimes>,
): RunSummary {
  const figures = figuresOf(bench, phase.runs, cores, ledger);
  const failed = phase.runs.filter((r) => r.failed);
  const doneTimes = phase.runs
    .filter((r) => !r.failed)
    .map((r) => r.doneAt!)
    .sort((x, y) => x - y);
  const wall = (phase.endedAt - phase.startedAt) / 1000;
  const whole = doneTimes.length / ((doneTimes[doneTimes.length - 1]! - phase.startedAt) / 1000);
  const lo = Math.floor(doneTimes.length * 0.1);
  const hi = Math.ceil(doneTimes.length * 0.9) - 1;
  const steady = (hi - lo) / ((doneTimes[hi]! - doneTimes[lo]!) / 1000);
  const steadyFigures = figures.filter(
    (f) => f.run.doneAt! >= doneTimes[lo]! && f.run.doneAt! <= doneTimes[hi]!,
  );
  return { figures, steadyFigures, failed, doneTimes, lo, hi, steady, whole, wall };
}
