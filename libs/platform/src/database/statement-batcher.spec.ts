import { StatementBatcher } from './statement-batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('StatementBatcher', () => {
  it('runs the first item at once and groups those that arrive while statements run', async () => {
    const statements: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = new StatementBatcher<number, string>(
      async (items) => {
        statements.push(items);
        if (statements.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((i) => `row ${i}`);
      },
      { maxInFlight: 1 },
    );
    const first = batcher.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => batcher.submit(i));
    await tick();
    expect(statements).toEqual([[1]]);
    release();
    expect(await first).toBe('row 1');
    expect(await Promise.all(rest)).toEqual(['row 2', 'row 3', 'row 4']);
    expect(statements).toEqual([[1], [2, 3, 4]]);
  });

  it('settles each item with its own answer: an Error rejects that item only', async () => {
    const batcher = new StatementBatcher<number, number>(async (items) =>
      items.map((i) => (i % 2 === 0 ? new Error(`guard ${i}`) : i * 10)),
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      10,
      'guard 2',
      30,
    ]);
  });

  it('a statement that fails as a whole is run again item by item, so one bad item fails alone', async () => {
    const statements: number[][] = [];
    let hold: Promise<void> | undefined = new Promise((r) => setTimeout(r, 20));
    const batcher = new StatementBatcher<number, number>(
      async (items) => {
        statements.push(items);
        if (hold) {
          const h = hold;
          hold = undefined;
          await h;
        }
        if (items.includes(13)) throw new Error('value refused');
        return items;
      },
      { maxInFlight: 1 },
    );
    const first = batcher.submit(1);
    const grouped = [12, 13, 14].map((i) => batcher.submit(i));
    const settled = await Promise.allSettled([first, ...grouped]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(statements).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it('never puts two items with the same key in one statement', async () => {
    const statements: string[][] = [];
    const batcher = new StatementBatcher<string, string>(
      async (items) => {
        statements.push(items);
        return items;
      },
      { maxInFlight: 1, keyOf: (s) => s.split(':')[0]! },
    );
    await Promise.all(['a:1', 'b:1', 'a:2', 'c:1'].map((s) => batcher.submit(s)));
    for (const st of statements) expect(new Set(st.map((s) => s.split(':')[0])).size).toBe(st.length);
    expect(statements.flat().sort()).toEqual(['a:1', 'a:2', 'b:1', 'c:1']);
  });
});
