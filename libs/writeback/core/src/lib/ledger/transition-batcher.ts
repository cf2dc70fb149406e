import { withDecisionTrace } from '@closeout/outbox';
import { activeTraceContext, recordDbSpan, type TraceContext } from '@closeout/telemetry';
import { LedgerError } from './ledger.errors';
import { LEDGER_COLLECTION, type LedgerRepository } from './ledger.repository';
import type { TransitionCommand, TransitionResult } from './ledger.types';

interface Pending {
  id: string;
  command: TransitionCommand;
  /** The context the transition was submitted in (the row's `writeback send|resolve` span). */
  trace: TraceContext;
  resolve: (result: TransitionResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups the transitions workers record into `transitionMany` statements, so a busy service commits once per batch
 * instead of once per writeback. It never waits to fill a batch: a transition goes out at once when a statement slot
 * is free, and only those that arrive while `maxInFlight` statements are running are grouped — an idle service
 * pays no latency, a busy one gets batches as large as its load.
 *
 * When a whole statement fails (one message the database refuses, a dropped connection), each of its transitions
 * is retried in a statement of its own, so one bad row cannot fail its neighbours. Messages computed from the
 * updated row (`outbox` a function) cannot share a statement: those go to `LedgerRepository.transition` at once.
 */
export class TransitionBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly options: { maxBatch?: number; maxInFlight?: number } = {},
  ) {}

  submit(id: string, command: TransitionCommand): Promise<TransitionResult> {
    const trace = activeTraceContext();
    if (typeof command.outbox === 'function') return this.transitionAlone(id, command, trace);
    // The statement runs in whichever submitter's context flushes it: each message takes its own row's trace now.
    const outbox = (command.outbox ?? []).map(withDecisionTrace);
    return new Promise((resolve, reject) => {
      this.queue.push({ id, command: { ...command, outbox }, trace, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const maxBatch = this.options.maxBatch ?? 128;
    const maxInFlight = this.options.maxInFlight ?? 2;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      // Ids must be distinct within a statement; a second transition of the same row waits for the next one.
      const batch: Pending[] = [];
      const ids = new Set<string>();
      for (let i = 0; i < this.queue.length && batch.length < maxBatch;) {
        const item = this.queue[i]!;
        if (ids.has(item.id)) {
          i += 1;
          continue;
        }
        ids.add(item.id);
        batch.push(item);
        this.queue.splice(i, 1);
      }
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      await this.record(batch);
    } catch {
      // The statement failed as a whole: each transition again, in a statement of its own.
      await Promise.all(batch.map((item) => this.record([item]).catch(item.reject)));
    }
  }

  /**
   * One `transitionMany` statement; each item settles with its own result or guard failure. The statement is a
   * `transition writeback_ledger` span in each row's trace, with its timing.
   */
  private async record(batch: Pending[]): Promise<void> {
    const startedAt = Date.now();
    let results: Awaited<ReturnType<LedgerRepository['transitionMany']>>;
    try {
      results = await this.ledger.transitionMany(batch.map(({ id, command }) => ({ id, command })));
    } catch (error) {
      for (const item of batch)
        recordDbSpan(this.spanOf(item.command, batch.length), item.trace, {
          startedAt,
          endedAt: Date.now(),
          error,
        });
      throw error;
    }
    const timing = { startedAt, endedAt: Date.now() };
    for (const item of batch) recordDbSpan(this.spanOf(item.command, batch.length), item.trace, timing);
    results.forEach((result, i) => {
      const item = batch[i]!;
      if (result instanceof LedgerError) item.reject(result);
      else item.resolve(result);
    });
  }

  /**
   * A transition whose messages are computed from the updated row, in a statement of its own. Its span is recorded
   * after it, never made active: the messages it writes continue the row's span, not the statement's.
   */
  private async transitionAlone(
    id: string,
    command: TransitionCommand,
    trace: TraceContext,
  ): Promise<TransitionResult> {
    const startedAt = Date.now();
    try {
      const result = await this.ledger.transition(id, command);
      recordDbSpan(this.spanOf(command, 1), trace, { startedAt, endedAt: Date.now() });
      return result;
    } catch (error) {
      recordDbSpan(this.spanOf(command, 1), trace, { startedAt, endedAt: Date.now(), error });
      throw error;
    }
  }

  private spanOf(command: TransitionCommand, batchSize: number) {
    return {
      operation: 'transition',
      collection: LEDGER_COLLECTION,
      namespace: this.ledger.schema,
      batchSize,
      attributes: { 'closeout.writeback_status': command.to },
    };
  }
}
