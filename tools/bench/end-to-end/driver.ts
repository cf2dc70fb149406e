/**
 * The benchmark's driver: keeps `inFlight` cases open (a trigger POSTed as soon as one finishes), stands in for the
 * mini-app (one publishMany for every action queued meanwhile), and follows each case on the bench's own Kafka
 * consumer groups until its COMPLETED and every required APPLIED have been seen.
 */
import { randomUUID } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import { Topics, type MiniappAction } from '@closeout/contracts';
import type { ConsumedMessage, KafkaClient } from '@closeout/kafka';
import type { CaseStack } from '../../e2e/case-stack';
import { customerAction, type Sample } from '../../e2e/samples';
import { WORKLOADS, type Args } from './args';
import { now } from './stats';

/** A message of the case: occurredAt (set in the producer's transaction), Kafka timestamp (sent), seen here. */
interface Seen {
  occurredAt: number;
  ts: number;
  seenAt: number;
}

interface WritebackSeen {
  destination: string;
  requested?: Seen;
  applied?: Seen;
}

/** Messages of one case id, whoever opened it (messages can arrive before the POST that caused them returns). */
interface CaseMessages {
  /** Distinct event ids of outreach.requested and COMPLETED: more than one means another orchestrator handled the case too. */
  outreachIds: Set<string>;
  completedIds: Set<string>;
  triggered?: Seen;
  outreach?: Seen;
  writebacks: Map<string, WritebackSeen>;
  completed?: Seen & { required: string[] };
  endState?: string;
}

export interface CaseRun {
  index: number;
  phase: 'warmup' | 'measured';
  sample: Sample;
  event: ReturnType<typeof upstream>;
  caseId?: string;
  sentAt?: number;
  postedAt?: number;
  actionQueued?: boolean;
  actionSentAt?: number;
  actionAckedAt?: number;
  doneAt?: number;
  failed?: string;
}

function upstream(run: string, n: number, sample: Sample) {
  return {
    sourceSystem: 'core-billing',
    eventId: `bench-${run}-${n}`,
    eventType: sample.eventType,
    occurredAt: new Date().toISOString(),
    customer: {
      customerId: `cus-${run}-${n}`,
      accountId: `40${String(n).padStart(8, '0')}`,
      timeZone: 'Europe/London',
    },
    ...(sample.amount ? { amount: sample.amount } : {}),
    attributes: { ...sample.attributes },
  };
}

const actionOf = (caseId: string, sample: Sample): MiniappAction => customerAction(caseId, sample);

export interface Phase {
  runs: CaseRun[];
  startedAt: number;
  endedAt: number;
}

export class Bench {
  readonly run = randomUUID().slice(0, 6);
  readonly messages = new Map<string, CaseMessages>();
  readonly byCaseId = new Map<string, CaseRun>();
  private readonly pendingActions: CaseRun[] = [];
  private flushing = false;
  private inFlight = 0;
  private signal: (() => void) | undefined;
  private lastProgressAt = now();
  private fatal: Error | undefined;
  actionBatches = 0;
  abortReason: string | undefined;

  constructor(
    private readonly stack: CaseStack,
    private readonly http: AxiosInstance,
    private readonly args: Args,
  ) {}

  msgs(caseId: string): CaseMessages {
    let m = this.messages.get(caseId);
    if (!m) {
      m = { writebacks: new Map(), outreachIds: new Set(), completedIds: new Set() };
      this.messages.set(caseId, m);
    }
    return m;
  }

  private wake(): void {
    this.lastProgressAt = now();
    const s = this.signal;
    this.signal = undefined;
    s?.();
  }

  private waitForProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.signal = undefined;
        resolve();
      }, ms);
      this.signal = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private check(deadline: number): void {
    if (this.fatal) throw this.fatal;
    if (this.abortReason) throw new Error(`aborted: ${this.abortReason}`);
    if (now() > deadline) throw new Error(`the run did not finish within --timeout-s ${this.args.timeoutS}`);
    if (this.inFlight > 0 && now() - this.lastProgressAt > 60_000) {
      throw new Error(`no case finished for 60 s with ${this.inFlight} in flight; see the services' logs`);
    }
  }

  // --- watcher callbacks (batch handlers on the bench's own consumer groups)

  onTriggered(ms: ConsumedMessage<unknown, { caseId: string; occurredAt: number }>[]): void {
    const t = now();
    for (const m of ms) this.msgs(m.value.caseId).triggered ??= seen(m, t);
  }

  onOutreach(ms: ConsumedMessage<unknown, { caseId: string; occurredAt: number; eventId: string }>[]): void {
    const t = now();
    for (const m of ms) {
      const c = this.msgs(m.value.caseId);
      c.outreachIds.add(m.value.eventId);
      if (c.outreach) continue;
      c.outreach = seen(m, t);
      const r = this.byCaseId.get(m.value.caseId);
      if (r) this.queueAction(r);
    }
  }

  onRequested(
    ms: ConsumedMessage<
      unknown,
      { caseId: string; occurredAt: number; idempotencyKey: string; destination: string }
    >[],
  ): void {
    const t = now();
    for (const m of ms) {
      const w = this.writeback(m.value.caseId, m.value.idempotencyKey, m.value.destination);
      w.requested ??= seen(m, t);
    }
  }

  onResult(
    ms: ConsumedMessage<
      unknown,
      { caseId: string; occurredAt: number; idempotencyKey: string; destination: string; status: string }
    >[],
  ): void {
    const t = now();
    for (const m of ms) {
      if (m.value.status !== 'APPLIED') continue;
      const w = this.writeback(m.value.caseId, m.value.idempotencyKey, m.value.destination);
      if (w.applied) continue;
      w.applied = seen(m, t);
      this.maybeDone(m.value.caseId, t);
    }
  }

  onState(
    ms: ConsumedMessage<
      unknown,
      {
        caseId: string;
        eventId: string;
        occurredAt: number;
        state: string;
        reason: string;
        requiredWritebacks: string[];
      }
    >[],
  ): void {
    const t = now();
    for (const m of ms) {
      const c = this.msgs(m.value.caseId);
      if (m.value.state === 'COMPLETED') {
        c.completedIds.add(m.value.eventId);
        c.completed ??= { ...seen(m, t), required: m.value.requiredWritebacks };
        this.maybeDone(m.value.caseId, t);
      } else if (['EXCEPTION', 'EXPIRED', 'CLOSED'].includes(m.value.state)) {
        c.endState = m.value.state;
        const r = this.byCaseId.get(m.value.caseId);
        if (r && r.doneAt === undefined) this.finish(r, t, `ended ${m.value.state}: ${m.value.reason}`);
      }
    }
  }

  private writeback(caseId: string, key: string, destination: string): WritebackSeen {
    const c = this.msgs(caseId);
    let w = c.writebacks.get(key);
    if (!w) {
      w = { destination };
      c.writebacks.set(key, w);
    }
    return w;
  }

  private maybeDone(caseId: string, t: number): void {
    const r = this.byCaseId.get(caseId);
    const c = this.messages.get(caseId);
    if (!r || !c?.completed || r.doneAt !== undefined) return;
    if (c.completed.required.every((k) => c.writebacks.get(k)?.applied)) this.finish(r, t);
  }

  private finish(r: CaseRun, t: number, failed?: string): void {
    r.doneAt = t;
    if (failed) r.failed = failed;
    this.inFlight -= 1;
    this.wake();
  }

  // --- the mini-app stand-in: one publishMany for every action queued while the previous one was in flight

  private queueAction(r: CaseRun): void {
    if (r.actionQueued || r.doneAt !== undefined) return;
    r.actionQueued = true;
    this.pendingActions.push(r);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    try {
      while (this.pendingActions.length > 0) {
        const batch = this.pendingActions.splice(0, 500);
        const sentAt = now();
        for (const r of batch) r.actionSentAt = sentAt;
        await this.stack.publish(
          Topics.miniappAction,
          batch.map((r) => actionOf(r.caseId!, r.sample)),
        );
        const ackedAt = now();
        for (const r of batch) r.actionAckedAt = ackedAt;
        this.actionBatches += 1;
      }
    } catch (error) {
      this.fatal = error as Error;
      this.wake();
    } finally {
      this.flushing = false;
    }
  }

  // --- the driver: keeps `inFlight` cases open, POSTing a new trigger as soon as one finishes

  private start(r: CaseRun): void {
    this.inFlight += 1;
    r.sentAt = now();
    this.post(r, true);
  }

  /**
   * POSTs the case's trigger. A keep-alive socket the server closed as idle just as it was reused (between phases)
   * answers ECONNRESET before the request was read: sent once more, as an upstream would — trigger-ingest takes a
   * trigger once per source event id, so a repeat cannot open a second case.
   */
  private post(r: CaseRun, mayRepeat: boolean): void {
    this.http
      .post<{ caseId?: string }>('/v1/triggers', r.event, {
        headers: { authorization: `Bearer ${this.stack.ingestToken}` },
      })
      .then(
        (res) => {
          r.postedAt = now();
          // 202 for a new trigger; 200 (a duplicate, same case) only for a repeat whose first try was taken.
          const taken = res.status === 202 || (!mayRepeat && res.status === 200);
          if (!taken || !res.data.caseId) {
            this.finish(r, now(), `trigger-ingest answered ${res.status} ${JSON.stringify(res.data)}`);
            return;
          }
          r.caseId = res.data.caseId;
          this.byCaseId.set(r.caseId, r);
          const c = this.messages.get(r.caseId);
          if (c?.outreach) this.queueAction(r);
          if (c?.endState) this.finish(r, now(), `ended ${c.endState}`);
          else this.maybeDone(r.caseId, now());
        },
        (error: unknown) => {
          if (mayRepeat && (error as { code?: unknown }).code === 'ECONNRESET') this.post(r, false);
          else this.finish(r, now(), `POST failed: ${(error as Error).message}`);
        },
      );
  }

  async drive(phase: CaseRun['phase'], count: number, from: number, deadline: number): Promise<Phase> {
    const samples = WORKLOADS[this.args.workflows];
    const runs: CaseRun[] = Array.from({ length: count }, (_, i) => {
      const index = from + i;
      const sample = samples[index % samples.length]!;
      return { index, phase, sample, event: upstream(this.run, index, sample) };
    });
    const startedAt = now();
    this.lastProgressAt = startedAt;
    let next = 0;
    let reported = startedAt;
    while (runs.some((r) => r.doneAt === undefined)) {
      this.check(deadline);
      // Paced (--rate): case i starts at i / rate seconds; otherwise as soon as one of inFlight is free.
      const dueAt = (i: number) => (this.args.rate ? startedAt + (i * 1000) / this.args.rate : 0);
      while (next < runs.length && this.inFlight < this.args.inFlight && now() >= dueAt(next))
        this.start(runs[next++]!);
      await this.waitForProgress(
        this.args.rate && next < runs.length ? Math.max(1, Math.min(100, dueAt(next) - now())) : 100,
      );
      if (now() - reported > 10_000) {
        reported = now();
        const done = runs.filter((r) => r.doneAt !== undefined).length;
        console.log(
          `  ${phase}: ${done}/${count} done, ${this.inFlight} in flight, ${((done * 1000) / (now() - startedAt)).toFixed(0)} cases/s so far`,
        );
      }
    }
    return { runs, startedAt, endedAt: now() };
  }
}

function seen(m: ConsumedMessage<unknown, { occurredAt: number }>, seenAt: number): Seen {
  return { occurredAt: m.value.occurredAt, ts: m.timestamp, seenAt };
}

/** Follows the cases on the bench's own consumer groups (batch handlers, six partitions at a time). */
export async function followCases(watcher: KafkaClient, b: Bench): Promise<void> {
  const group = `e2e-bench-${b.run}`;
  const tuning = { consumer: { partitionsConcurrently: 6, maxWaitTimeMs: 100 } };
  const subs = await Promise.all([
    watcher.subscriber.subscribe({
      groupId: `${group}.triggered`,
      topic: Topics.caseTriggered,
      ...tuning,
      batchHandler: async (ms) => b.onTriggered(ms),
    }),
    watcher.subscriber.subscribe({
      groupId: `${group}.outreach`,
      topic: Topics.outreachRequested,
      ...tuning,
      batchHandler: async (ms) => b.onOutreach(ms),
    }),
    watcher.subscriber.subscribe({
      groupId: `${group}.wbreq`,
      topic: Topics.writebackRequested,
      ...tuning,
      batchHandler: async (ms) => b.onRequested(ms),
    }),
    watcher.subscriber.subscribe({
      groupId: `${group}.wbres`,
      topic: Topics.writebackResult,
      ...tuning,
      batchHandler: async (ms) => b.onResult(ms),
    }),
    watcher.subscriber.subscribe({
      groupId: `${group}.state`,
      topic: Topics.caseState,
      ...tuning,
      batchHandler: async (ms) => b.onState(ms),
    }),
  ]);
  await Promise.all(subs.map((s) => s.whenPositioned()));
}
