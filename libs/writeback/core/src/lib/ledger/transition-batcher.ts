import { LedgerError } from './ledger.errors';
import type { LedgerRepository } from './ledger.repository';
import type { TransitionCommand, TransitionResult } from './ledger.types';

interface Pending {
  id: string;
  command: TransitionCommand;
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
    if (typeof command.outbox === 'function') return this.ledger.transition(id, command);
    return new Promise((resolve, reject) => {
      this.queue.push({ id, command, resolve, reject });
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

  /** One `transitionMany` statement; each item settles with its own result or guard failure. */
  private async record(batch: Pending[]): Promise<void> {
    const results = await this.ledger.transitionMany(batch.map(({ id, command }) => ({ id, command })));
    results.forEach((result, i) => {
      const item = batch[i]!;
      if (result instanceof LedgerError) item.reject(result);
      else item.resolve(result);
    });
  }
}
