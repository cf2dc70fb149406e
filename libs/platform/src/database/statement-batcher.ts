/**
 * Groups writes that concurrent callers make into one statement each, so a busy service commits once per batch
 * instead of once per row. It never waits to fill a batch: an item goes out at once when a statement slot is free,
 * and only those that arrive while `maxInFlight` statements are running are grouped — an idle service pays no
 * latency, a busy one gets batches as large as its load.
 *
 * `run` answers each item of a batch in order, with its result or an Error of its own (e.g. a guard that matched
 * nothing). When a whole statement fails (a value the database refuses, a dropped connection), each of its items is
 * run again in a statement of its own, so one bad item cannot fail its neighbours.
 */
export interface StatementBatcherOptions<I> {
  /** Most items per statement (default 128). */
  maxBatch?: number;
  /** Statements running at once (default 2). */
  maxInFlight?: number;
  /** Items with the same key never share a statement (e.g. two moves of one row): the later waits for the next. */
  keyOf?: (item: I) => string;
}

interface Pending<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export class StatementBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<O | Error>>,
    private readonly options: StatementBatcherOptions<I> = {},
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const maxBatch = this.options.maxBatch ?? 128;
    const maxInFlight = this.options.maxInFlight ?? 2;
    const keyOf = this.options.keyOf;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      const batch: Pending<I, O>[] = [];
      const keys = new Set<string>();
      for (let i = 0; i < this.queue.length && batch.length < maxBatch;) {
        const pending = this.queue[i]!;
        const key = keyOf?.(pending.item);
        if (key !== undefined && keys.has(key)) {
          i += 1;
          continue;
        }
        if (key !== undefined) keys.add(key);
        batch.push(pending);
        this.queue.splice(i, 1);
      }
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending<I, O>[]): Promise<void> {
    try {
      await this.record(batch);
    } catch {
      // The statement failed as a whole: each item again, in a statement of its own.
      await Promise.all(batch.map((p) => this.record([p]).catch(p.reject)));
    }
  }

  private async record(batch: Pending<I, O>[]): Promise<void> {
    const results = await this.run(batch.map((p) => p.item));
    batch.forEach((p, i) => {
      const result = results[i];
      if (result instanceof Error) p.reject(result);
      else p.resolve(result as O);
    });
  }
}
