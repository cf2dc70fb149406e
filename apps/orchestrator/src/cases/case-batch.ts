import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { inMessageContext, type BatchRejection, type ConsumedMessage } from '@closeout/kafka';
import { UnknownWorkflowError } from '../workflows/workflow-catalog';
import { CaseNotFoundError, UnknownActionCaseError, UnknownOutreachCaseError } from './case-errors';

/**
 * Runs a case's work in its message's context and `process` span, so the outbox rows it writes continue that case's
 * trace whatever correlation id they carry, and every log line it writes carries its message's `correlationId` and
 * trace (docs/operations/tracing.md).
 */
const inMessageTrace = <T>(m: ConsumedMessage<unknown, unknown>, fn: () => Promise<T>): Promise<T> =>
  inMessageContext(m, fn);

/** An event for a case not opened yet is retried in place a few times (the trigger may be a moment behind), then dead-lettered. */
export const CASE_NOT_FOUND_ATTEMPTS = 8;

export const handledEvents = new Counter({
  name: 'closeout_orchestrator_events_total',
  help: 'Events the orchestrator handled, by topic and outcome',
  labelNames: ['topic', 'outcome'],
});

const batches = new Counter({
  name: 'closeout_orchestrator_batches_total',
  help: 'Partition batches applied, by topic and path: one transaction, or one per event after a failure',
  labelNames: ['topic', 'path'],
});

/** How one topic's events are applied to their cases. */
export interface CaseWork<V, P = undefined> {
  caseIdOf(value: V): string;
  /** Work done before any transaction is open (the rules engine on a trigger's facts). */
  prepare?(value: V): Promise<P>;
  apply(tx: EntityManager, value: V, prepared: P): Promise<string>;
}

/**
 * Why an event can never be applied (it goes to the DLQ with this reason), or undefined when it may succeed later
 * (the batch is retried in place).
 */
export function poisonReason(err: unknown, attempt: number): string | undefined {
  if (
    err instanceof UnknownWorkflowError ||
    err instanceof UnknownOutreachCaseError ||
    err instanceof UnknownActionCaseError
  )
    return err.message;
  if (err instanceof CaseNotFoundError && attempt >= CASE_NOT_FOUND_ATTEMPTS) {
    return `${err.message}; gave up after ${attempt} attempts`;
  }
  return undefined;
}

/**
 * Applies a partition batch in one transaction: one commit for dozens of events instead of one each, which is what
 * the database spends most on. Events are taken in case-id order (stable, so one case's events keep their order),
 * so two batches lock their cases in the same order and never deadlock. If anything in the batch fails, the
 * transaction rolls back and each event is applied in a transaction of its own, so one bad event cannot hold up
 * the others; the use cases are idempotent (inbox), so nothing is applied twice.
 */
@Injectable()
export class CaseBatchRunner {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async run<K, V, P>(
    messages: ConsumedMessage<K, V>[],
    work: CaseWork<V, P>,
  ): Promise<BatchRejection<K, V>[]> {
    if (messages.length === 0) return [];
    const topic = messages[0]!.topic;
    const ordered = messages
      .map((m, i) => ({ m, i, id: work.caseIdOf(m.value) }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.i - b.i))
      .map((x) => x.m);
    const prepared = await Promise.all(
      ordered.map(async (m) => {
        try {
          return { ok: true as const, value: work.prepare ? await work.prepare(m.value) : (undefined as P) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );

    if (prepared.every((p) => p.ok)) {
      try {
        const outcomes = await this.db.transaction(async (tx) => {
          const out: string[] = [];
          for (const [i, m] of ordered.entries())
            out.push(
              await inMessageTrace(m, () => work.apply(tx, m.value, (prepared[i] as { value: P }).value)),
            );
          return out;
        });
        for (const outcome of outcomes) handledEvents.inc({ topic, outcome });
        batches.inc({ topic, path: 'one-transaction' });
        return [];
      } catch {
        // One of them failed: find out which, one transaction each.
      }
    }
    batches.inc({ topic, path: 'per-event' });
    const rejections: BatchRejection<K, V>[] = [];
    for (const [i, m] of ordered.entries()) {
      const p = prepared[i]!;
      try {
        if (!p.ok) throw p.error;
        const outcome = await this.db.transaction((tx) =>
          inMessageTrace(m, () => work.apply(tx, m.value, p.value)),
        );
        handledEvents.inc({ topic, outcome });
      } catch (error) {
        const reason = poisonReason(error, m.attempt);
        if (reason === undefined) throw error;
        rejections.push({ message: m, reason });
      }
    }
    return rejections;
  }
}
