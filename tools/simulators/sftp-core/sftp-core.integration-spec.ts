/**
 * TEST DOUBLE's own tests — the simulated SFTP batch core (a stand-in for a bank's batch system of record).
 * Most tests drive the processor on a temp directory; one uploads through the devstack's real sshd, to prove the
 * processor works on what actually arrives over SFTP.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import {
  buildPaymentsBatch,
  parseFaultShorthand,
  readReceipt,
  seededRandom,
  startSftpCore,
  type Manifest,
  type PaymentRecord,
  type Receipt,
  type SftpCore,
  type SftpCoreOptions,
} from '.';

const DEST = 'core-a';

type Payment = Omit<PaymentRecord, 'recordType'>;
const payment = (key: string, amountMinor = '12550'): Payment => ({
  idempotencyKey: key,
  accountNumber: '4000123456',
  amountMinor,
  currency: 'GBP',
  reference: `CLOSEOUT ${key}, "batch"`,
});
const payments = (prefix: string, n: number): Payment[] =>
  Array.from({ length: n }, (_, i) => payment(`${prefix}-${i + 1}`));

async function waitFor<T>(probe: () => T | null | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulated SFTP batch core (test double)', () => {
  let root: string;
  const started: SftpCore[] = [];

  async function start(options: Partial<SftpCoreOptions> = {}): Promise<SftpCore> {
    // A long poll interval: tests call scanNow() so each step is deterministic; one test exercises the poller.
    const core = await startSftpCore({ root, destinations: [DEST], pollIntervalMs: 60_000, ...options });
    started.push(core);
    return core;
  }

  const inbound = (name = ''): string => join(root, DEST, 'inbound', name);
  const folder = (name: 'processed' | 'rejected' | 'receipts'): string[] =>
    readdirSync(join(root, DEST, name)).sort();
  const receiptOnDisk = (batchId: string): Receipt | null => {
    const path = join(root, DEST, 'receipts', `${batchId}.receipt.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Receipt) : null;
  };

  /** Uploads the way writeback-sftp must: `.part`, rename, manifest last. */
  function drop(
    batchId: string,
    records: Payment[],
    tamper: { csv?: (csv: Buffer) => Buffer; manifest?: Partial<Manifest> } = {},
  ): Manifest {
    const built = buildPaymentsBatch(batchId, records);
    const manifest = { ...built.manifest, ...tamper.manifest };
    writeFileSync(inbound(`${batchId}.csv.part`), tamper.csv ? tamper.csv(built.csv) : built.csv);
    renameSync(inbound(`${batchId}.csv.part`), inbound(`${batchId}.csv`));
    writeFileSync(inbound(`${batchId}.manifest.json.part`), JSON.stringify(manifest));
    renameSync(inbound(`${batchId}.manifest.json.part`), inbound(`${batchId}.manifest.json`));
    return manifest;
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sftp-core-'));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.close()));
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the daily posting report per UTC day in outbound/, once per posting, and rewrites it after a restart', async () => {
    let clock = Date.parse('2025-03-01T23:59:00.000Z');
    const journalFile = join(root, 'journal.jsonl');
    const core = await start({ now: () => clock, journalFile });
    const report = (day: string): string =>
      readFileSync(join(root, DEST, 'outbound', `postings-${day}.csv`), 'utf8');
    const header = 'idempotency_key,provider_ref,amount_minor,currency,posted_at,batch_id,line';

    drop('B-d1', [payment('day-1'), payment('day-2', '700')]);
    await core.scanNow();
    expect(report('2025-03-01')).toBe(
      `${header}\nday-1,pay_00000001,12550,GBP,2025-03-01T23:59:00.000Z,B-d1,2\nday-2,pay_00000002,700,GBP,2025-03-01T23:59:00.000Z,B-d1,3\n`,
    );

    // Next day: a duplicate of day-1 posts nothing, so neither report gains a line; a new key lands on the new day.
    clock = Date.parse('2025-03-02T00:01:00.000Z');
    drop('B-d2', [payment('day-1'), payment('a,key')]);
    await core.scanNow();
    expect(report('2025-03-01').split('\n').filter(Boolean)).toHaveLength(3);
    expect(report('2025-03-02')).toBe(
      `${header}\n"a,key",pay_00000003,12550,GBP,2025-03-02T00:01:00.000Z,B-d2,3\n`,
    );
    expect(readdirSync(join(root, DEST, 'outbound')).sort()).toEqual([
      'postings-2025-03-01.csv',
      'postings-2025-03-02.csv',
    ]);
    await core.close();

    // A restarted core presents the reports of what it posted before, from its journal.
    rmSync(join(root, DEST, 'outbound'), { recursive: true });
    await start({ journalFile });
    expect(report('2025-03-01').split('\n').filter(Boolean)).toHaveLength(3);
    expect(report('2025-03-02')).toContain('pay_00000003');
  });

  it('posts a good batch found by polling: PROCESSED receipt, one journal entry per record, files moved', async () => {
    const core = await start({ pollIntervalMs: 25 });
    drop('B-001', payments('good', 3));

    const receipt = await waitFor(() => receiptOnDisk('B-001'), 'the receipt of B-001');
    expect(receipt).toEqual({
      batchId: 'B-001',
      status: 'PROCESSED',
      records: [
        { idempotencyKey: 'good-1', line: 2, outcome: 'POSTED', providerRef: 'pay_00000001' },
        { idempotencyKey: 'good-2', line: 3, outcome: 'POSTED', providerRef: 'pay_00000002' },
        { idempotencyKey: 'good-3', line: 4, outcome: 'POSTED', providerRef: 'pay_00000003' },
      ],
    });
    await waitFor(() => (folder('processed').length === 2 ? true : null), 'the batch to move to processed/');
    expect(core.journal().map((e) => [e.idempotencyKey, e.batchId, e.line, e.record.amountMinor])).toEqual([
      ['good-1', 'B-001', 2, '12550'],
      ['good-2', 'B-001', 3, '12550'],
      ['good-3', 'B-001', 4, '12550'],
    ]);
    // The quoted reference (comma and quotes) survives the CSV round trip.
    expect(core.journal()[0]!.record.reference).toBe('CLOSEOUT good-1, "batch"');
    expect(core.receiptsFor('B-001')).toEqual([receipt]);
    expect(readdirSync(inbound())).toEqual([]);
    expect(folder('processed')).toEqual(['B-001.csv', 'B-001.manifest.json']);
    expect(folder('receipts')).toEqual(['B-001.receipt.json']);
    expect(core.stats()).toMatchObject({ batches: 1, postings: 3, batchesByStatus: { PROCESSED: 1 } });
  });

  it('ignores .part files and a CSV without manifest, and acts once the manifest is renamed into place', async () => {
    const core = await start();
    const { csv, manifest } = buildPaymentsBatch('B-part', payments('part', 2));
    writeFileSync(inbound('B-part.csv.part'), csv);
    writeFileSync(inbound('B-part.manifest.json.part'), JSON.stringify(manifest));
    await core.scanNow();
    expect(receiptOnDisk('B-part')).toBeNull();

    renameSync(inbound('B-part.csv.part'), inbound('B-part.csv'));
    await core.scanNow();
    expect(receiptOnDisk('B-part')).toBeNull();
    expect(core.stats().batches).toBe(0);
    expect(core.journal()).toHaveLength(0);

    renameSync(inbound('B-part.manifest.json.part'), inbound('B-part.manifest.json'));
    await core.scanNow();
    expect(receiptOnDisk('B-part')?.status).toBe('PROCESSED');
    expect(core.journal()).toHaveLength(2);
  });

  it.each<[string, Parameters<typeof drop>[2], RegExp]>([
    [
      'a truncated file',
      { csv: (c) => c.subarray(0, c.length - 10) },
      /^manifest\.byteSize: file has \d+ bytes/,
    ],
    [
      'a changed byte (same size)',
      { csv: (c) => Buffer.from(c.toString('utf8').replace('12550', '12551')) },
      /^manifest\.sha256: file hashes to [0-9a-f]{64}, manifest says/,
    ],
    [
      'a wrong record count',
      { manifest: { recordCount: 4 } },
      /^manifest\.recordCount: file has 3 records, manifest says 4/,
    ],
    [
      'an unknown layout',
      { manifest: { layoutVersion: 'payments-v9' } },
      /^manifest\.layoutVersion: must be one of payments-v1/,
    ],
  ])(
    'rejects the whole batch on %s: REJECTED receipt naming the rule, files in rejected/, nothing posted',
    async (_, tamper, reason) => {
      const core = await start();
      drop('B-bad', payments('bad', 3), tamper);
      await core.scanNow();

      const receipt = receiptOnDisk('B-bad');
      expect(receipt).toEqual({
        batchId: 'B-bad',
        status: 'REJECTED',
        reason: expect.stringMatching(reason),
        records: [],
      });
      expect(core.journal()).toHaveLength(0);
      expect(folder('rejected')).toEqual(['B-bad.csv', 'B-bad.manifest.json']);
      expect(readdirSync(inbound())).toEqual([]);
      expect(core.stats().batchesByStatus.REJECTED).toBe(1);
    },
  );

  it('checksum_mismatch fault: REJECTED, nothing posted; the same files resubmitted afterwards post', async () => {
    const core = await start({ faults: [{ mode: 'checksum_mismatch', count: 1 }] });
    drop('B-sum', payments('sum', 2));
    await core.scanNow();
    expect(receiptOnDisk('B-sum')).toMatchObject({
      status: 'REJECTED',
      reason: expect.stringMatching(/^manifest\.sha256: .*simulated fault checksum_mismatch/),
    });
    expect(core.journal()).toHaveLength(0);

    drop('B-sum', payments('sum', 2));
    await core.scanNow();
    expect(receiptOnDisk('B-sum')?.status).toBe('PROCESSED');
    expect(core.journal()).toHaveLength(2);
    expect(core.stats().faultsInjected.checksum_mismatch).toBe(1);
  });

  it('partial_ingest: PARTIAL receipt with exactly the first K records; resubmitting the rest posts only those', async () => {
    const core = await start({ faults: [{ mode: 'partial_ingest', afterRecords: 2, count: 1 }] });
    const all = payments('pi', 5);
    drop('B-pi-1', all);
    await core.scanNow();

    const partial = receiptOnDisk('B-pi-1')!;
    expect(partial.status).toBe('PARTIAL');
    expect(partial.records.map((r) => [r.idempotencyKey, r.outcome])).toEqual([
      ['pi-1', 'POSTED'],
      ['pi-2', 'POSTED'],
    ]);
    expect(core.journal().map((e) => e.idempotencyKey)).toEqual(['pi-1', 'pi-2']);

    // The client replays the records without a receipt line, same keys, in a new batch.
    const answered = new Set(partial.records.map((r) => r.idempotencyKey));
    drop(
      'B-pi-2',
      all.filter((p) => !answered.has(p.idempotencyKey)),
    );
    await core.scanNow();
    expect(receiptOnDisk('B-pi-2')).toMatchObject({
      status: 'PROCESSED',
      records: [
        { idempotencyKey: 'pi-3', outcome: 'POSTED' },
        { idempotencyKey: 'pi-4', outcome: 'POSTED' },
        { idempotencyKey: 'pi-5', outcome: 'POSTED' },
      ],
    });
    expect(core.journal().map((e) => e.idempotencyKey)).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5']);

    // A client that replays the whole file instead still posts nothing twice.
    drop('B-pi-3', all);
    await core.scanNow();
    expect(receiptOnDisk('B-pi-3')!.records.map((r) => r.outcome)).toEqual(Array(5).fill('DUPLICATE'));
    expect(core.journal()).toHaveLength(5);
    expect(core.stats().duplicatePostings.total).toBe(0);
  });

  it('a resubmitted batch (same batchId) posts nothing new: DUPLICATE per record with the original references', async () => {
    const core = await start();
    drop('B-dup', payments('dup', 3));
    await core.scanNow();
    const first = receiptOnDisk('B-dup')!;

    drop('B-dup', payments('dup', 3));
    await core.scanNow();
    const second = receiptOnDisk('B-dup')!;
    expect(second.status).toBe('PROCESSED');
    expect(second.records).toEqual(
      first.records.map((r) => ({
        idempotencyKey: r.idempotencyKey,
        line: r.line,
        outcome: 'DUPLICATE',
        providerRef: r.providerRef,
        message: `already posted from batch B-dup line ${r.line}`,
      })),
    );
    expect(core.journal()).toHaveLength(3);
    expect(core.receiptsFor('B-dup')).toEqual([first, second]);
    // Both submissions stay as evidence.
    expect(folder('processed')).toEqual([
      'B-dup.csv',
      'B-dup.manifest.json',
      'B-dup~2.csv',
      'B-dup~2.manifest.json',
    ]);
    expect(core.stats()).toMatchObject({
      batchesResubmitted: { total: 1, byBatchId: { 'core-a/B-dup': 1 } },
      duplicatesPrevented: { total: 3 },
      duplicatePostings: { total: 0 },
    });
  });

  it('soft and hard failures: a soft-failed key posts when replayed, a hard-failed key fails again', async () => {
    const core = await start({
      faults: [
        { mode: 'soft_fail', count: 1, match: { idempotencyKey: 'sh-2' } },
        { mode: 'hard_fail', match: { idempotencyKey: 'sh-3' } },
      ],
    });
    drop('B-sh-1', payments('sh', 3));
    await core.scanNow();
    expect(receiptOnDisk('B-sh-1')).toEqual({
      batchId: 'B-sh-1',
      status: 'PROCESSED',
      records: [
        { idempotencyKey: 'sh-1', line: 2, outcome: 'POSTED', providerRef: 'pay_00000001' },
        {
          idempotencyKey: 'sh-2',
          line: 3,
          outcome: 'SOFT_FAIL',
          code: 'ACCOUNT_LOCKED',
          message: 'account temporarily locked: replay later under the same key',
        },
        {
          idempotencyKey: 'sh-3',
          line: 4,
          outcome: 'HARD_FAIL',
          code: 'ACCOUNT_CLOSED',
          message: 'account closed: this record will never be posted',
        },
      ],
    });

    core.clearFaults();
    drop('B-sh-2', [payment('sh-2'), payment('sh-3')]);
    await core.scanNow();
    expect(receiptOnDisk('B-sh-2')!.records.map((r) => [r.idempotencyKey, r.outcome, r.code])).toEqual([
      ['sh-2', 'POSTED', undefined],
      ['sh-3', 'HARD_FAIL', 'ACCOUNT_CLOSED'],
    ]);
    expect(core.journal().map((e) => e.idempotencyKey)).toEqual(['sh-1', 'sh-2']);
    expect(core.stats().hardFailedThenResubmitted).toEqual({
      total: 1,
      byIdempotencyKey: { 'core-a/sh-3': 1 },
    });
  });

  it('answers a bad record or a reused key with HARD_FAIL naming the field, without rejecting the batch', async () => {
    const core = await start();
    drop('B-v-1', [payment('v-1')]);
    await core.scanNow();
    drop('B-v-2', [{ ...payment('v-2'), currency: 'gbp' }, payment('v-1', '99'), payment('v-3')]);
    await core.scanNow();
    expect(receiptOnDisk('B-v-2')!.records).toEqual([
      {
        idempotencyKey: 'v-2',
        line: 2,
        outcome: 'HARD_FAIL',
        code: 'INVALID_RECORD',
        message: 'currency: must be an ISO 4217 code (3 capital letters)',
      },
      {
        idempotencyKey: 'v-1',
        line: 3,
        outcome: 'HARD_FAIL',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.stringMatching(
          /^idempotency_key: already posted as pay_00000001 \(batch B-v-1 line 2\)/,
        ),
      },
      { idempotencyKey: 'v-3', line: 4, outcome: 'POSTED', providerRef: 'pay_00000002' },
    ]);
  });

  it('no_receipt: posts but never writes a receipt; resubmitting resolves the unknown batch without double-posting', async () => {
    const core = await start({ faults: [{ mode: 'no_receipt', count: 1 }] });
    drop('B-nr', payments('nr', 2));
    await core.scanNow();
    expect(receiptOnDisk('B-nr')).toBeNull();
    expect(core.receiptsFor('B-nr')).toEqual([]);
    expect(folder('receipts')).toEqual([]);
    expect(core.journal()).toHaveLength(2);
    expect(readdirSync(inbound())).toEqual([]);

    drop('B-nr-replay', payments('nr', 2));
    await core.scanNow();
    expect(receiptOnDisk('B-nr-replay')!.records.map((r) => [r.outcome, r.providerRef])).toEqual([
      ['DUPLICATE', 'pay_00000001'],
      ['DUPLICATE', 'pay_00000002'],
    ]);
    expect(core.journal()).toHaveLength(2);
    expect(core.stats().receipts).toEqual({ written: 1, delayed: 0, withheld: 1 });
  });

  it('delay_receipt: the batch leaves inbound at once, the receipt arrives only after delayMs', async () => {
    const core = await start({ faults: [{ mode: 'delay_receipt', delayMs: 300, count: 1 }] });
    drop('B-late', payments('late', 1));
    const scannedAt = Date.now();
    await core.scanNow();
    expect(receiptOnDisk('B-late')).toBeNull();
    expect(readdirSync(inbound())).toEqual([]);

    const receipt = await waitFor(() => receiptOnDisk('B-late'), 'the delayed receipt');
    expect(Date.now() - scannedAt).toBeGreaterThanOrEqual(290);
    expect(receipt.status).toBe('PROCESSED');
    // Never a torn receipt: the temp file is renamed away.
    expect(folder('receipts')).toEqual(['B-late.receipt.json']);
  });

  it('rate-based faults are reproducible with a seeded random source', async () => {
    const outcomes = async (dir: string): Promise<string[]> => {
      root = dir;
      const core = await start({ random: seededRandom(7), faults: parseFaultShorthand('soft_fail@0.5') });
      drop('B-rate', payments('rate', 20));
      await core.scanNow();
      return receiptOnDisk('B-rate')!.records.map((r) => r.outcome);
    };
    const first = root;
    const a = await outcomes(first);
    const second = mkdtempSync(join(tmpdir(), 'sftp-core-'));
    try {
      const b = await outcomes(second);
      expect(b).toEqual(a);
      expect(a).toContain('SOFT_FAIL');
      expect(a).toContain('POSTED');
    } finally {
      rmSync(first, { recursive: true, force: true });
    }
  });

  it('keeps postings across a restart when given a journal file', async () => {
    const journalFile = join(root, 'journal', 'sftp-core.jsonl');
    const first = await start({ journalFile });
    drop('B-j-1', payments('j', 2));
    await first.scanNow();
    await first.close();

    const second = await start({ journalFile });
    drop('B-j-2', payments('j', 3));
    await second.scanNow();
    expect(receiptOnDisk('B-j-2')!.records.map((r) => [r.outcome, r.providerRef])).toEqual([
      ['DUPLICATE', 'pay_00000001'],
      ['DUPLICATE', 'pay_00000002'],
      ['POSTED', 'pay_00000003'],
    ]);
    expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('names the field and rule of a bad fault rule or fault shorthand', async () => {
    expect(() => parseFaultShorthand('partial_ingest*1')).toThrow(
      'fault "partial_ingest*1": afterRecords: is required for partial_ingest',
    );
    expect(() => parseFaultShorthand('soft_fail:3')).toThrow(/param: only partial_ingest/);
    expect(parseFaultShorthand('partial_ingest:2*1,delay_receipt:500@0.5')).toEqual([
      { mode: 'partial_ingest', afterRecords: 2, count: 1 },
      { mode: 'delay_receipt', delayMs: 500, rate: 0.5 },
    ]);
    expect(parseFaultShorthand('foreign_receipt_records:4@0.1,oversized_receipt:9000*1')).toEqual([
      { mode: 'foreign_receipt_records', foreignRecords: 4, rate: 0.1 },
      { mode: 'oversized_receipt', padBytes: 9000, count: 1 },
    ]);
    await expect(
      startSftpCore({
        root,
        faults: [{ mode: 'reingest_after_crash', match: { idempotencyKey: 'k' } }],
      }),
    ).rejects.toThrow(/only soft_fail, hard_fail, contradicting_receipt are decided per record/);
  });

  describe('hostile receipts (the journal stays the proof)', () => {
    it('foreign_receipt_records: lists keys waiting in other batches, failed or never sent, under made-up references; posts nothing more', async () => {
      const core = await start({
        faults: [{ mode: 'soft_fail', count: 1, match: { idempotencyKey: 'f-soft' } }],
      });
      drop('B-f-0', [payment('f-soft'), payment('f-posted')]);
      await core.scanNow();
      // Another batch waits in inbound without its manifest yet: the client has these keys in flight.
      const waiting = buildPaymentsBatch('B-f-wait', [payment('f-wait-1'), payment('f-wait-2')]);
      writeFileSync(inbound('B-f-wait.csv'), waiting.csv);
      core.setFaults({ mode: 'foreign_receipt_records', foreignRecords: 5, count: 1 });
      drop('B-f-1', [payment('f-1'), payment('f-2')]);
      await core.scanNow();

      const records = receiptOnDisk('B-f-1')!.records;
      const own = records.filter((r) => r.idempotencyKey === 'f-1' || r.idempotencyKey === 'f-2');
      const foreign = records.filter((r) => r.idempotencyKey !== 'f-1' && r.idempotencyKey !== 'f-2');
      expect(own.map((r) => [r.idempotencyKey, r.outcome])).toEqual([
        ['f-1', 'POSTED'],
        ['f-2', 'POSTED'],
      ]);
      expect(foreign).toHaveLength(5);
      // Every pool a hostile core draws on: the in-flight keys, the one it failed, the one it posted, then made up.
      expect(foreign.map((r) => r.idempotencyKey).sort()).toEqual([
        'f-posted',
        'f-soft',
        'f-wait-1',
        'f-wait-2',
        expect.stringMatching(/^foreign-/),
      ]);
      const journalRefs = new Set(core.journal().map((e) => e.providerRef));
      for (const r of foreign.filter((f) => f.outcome === 'POSTED'))
        expect(journalRefs.has(r.providerRef!)).toBe(false);
      expect(core.journal().map((e) => e.idempotencyKey)).toEqual(['f-posted', 'f-1', 'f-2']);
      expect(core.stats().hostileReceipts.foreignRecords).toBe(5);
    });

    it('contradicting_receipt: lists the record twice with different answers, one of them the truth the journal holds', async () => {
      const core = await start({
        faults: [{ mode: 'contradicting_receipt', match: { idempotencyKey: 'c-2' } }],
        random: seededRandom(7),
      });
      drop('B-c-1', payments('c', 3));
      await core.scanNow();

      const copies = receiptOnDisk('B-c-1')!.records.filter((r) => r.idempotencyKey === 'c-2');
      const [posting] = core.journal().filter((e) => e.idempotencyKey === 'c-2');
      expect(copies).toHaveLength(2);
      expect(copies).toContainEqual({
        idempotencyKey: 'c-2',
        line: 3,
        outcome: 'POSTED',
        providerRef: posting!.providerRef,
      });
      const other = copies.find((c) => c.outcome !== 'POSTED' || c.providerRef !== posting!.providerRef);
      expect(other).toBeDefined();
      expect(core.journal()).toHaveLength(3);
      expect(core.stats().hostileReceipts.contradictingRecords).toBe(1);
    });

    it('reingest_after_crash: posts the batch again after its own crash, rewrites the receipt, reports both postings', async () => {
      const core = await start({ faults: [{ mode: 'reingest_after_crash', count: 1 }] });
      drop('B-r-1', payments('r', 2));
      await core.scanNow();
      expect(receiptOnDisk('B-r-1')!.records.map((r) => r.providerRef)).toEqual([
        'pay_00000001',
        'pay_00000002',
      ]);
      expect(readdirSync(inbound()).sort()).toEqual(['B-r-1.csv', 'B-r-1.manifest.json']);

      await core.scanNow();
      expect(receiptOnDisk('B-r-1')!.records.map((r) => [r.outcome, r.providerRef])).toEqual([
        ['POSTED', 'pay_00000003'],
        ['POSTED', 'pay_00000004'],
      ]);
      expect(core.journal().map((e) => [e.idempotencyKey, e.providerRef, e.repostOf])).toEqual([
        ['r-1', 'pay_00000001', undefined],
        ['r-2', 'pay_00000002', undefined],
        ['r-1', 'pay_00000003', 1],
        ['r-2', 'pay_00000004', 2],
      ]);
      const day = readdirSync(join(root, DEST, 'outbound')).find((n) => n.startsWith('postings-'))!;
      const report = readFileSync(join(root, DEST, 'outbound', day), 'utf8')
        .trim()
        .split('\n');
      expect(report.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
        'r-1,pay_00000001',
        'r-2,pay_00000002',
        'r-1,pay_00000003',
        'r-2,pay_00000004',
      ]);
      expect(folder('processed')).toEqual(['B-r-1.csv', 'B-r-1.manifest.json']);
      expect(core.stats()).toMatchObject({
        batchesReingested: 1,
        recordsReingested: 2,
        records: 4,
        batchesResubmitted: { total: 0 },
        repostedByCore: { total: 2 },
        duplicatePostings: { total: 0 },
        postings: 4,
      });
    });

    it('garbled_receipt and oversized_receipt: the receipt file is cut off or padded past padBytes; the records post', async () => {
      const core = await start({ faults: [{ mode: 'garbled_receipt', count: 1 }] });
      drop('B-g-1', payments('g', 2));
      await core.scanNow();
      const garbled = readFileSync(join(root, DEST, 'receipts', 'B-g-1.receipt.json'), 'utf8');
      expect(() => JSON.parse(garbled) as unknown).toThrow(SyntaxError);

      core.setFaults({ mode: 'oversized_receipt', padBytes: 20_000, count: 1 });
      drop('B-o-1', payments('o', 2));
      await core.scanNow();
      const oversized = readFileSync(join(root, DEST, 'receipts', 'B-o-1.receipt.json'));
      expect(oversized.length).toBeGreaterThan(20_000);
      expect((JSON.parse(oversized.toString('utf8')) as Receipt).records.map((r) => r.outcome)).toEqual([
        'POSTED',
        'POSTED',
      ]);
      expect(core.journal()).toHaveLength(4);
      expect(core.stats().hostileReceipts).toMatchObject({ garbled: 1, oversized: 1 });
    });
  });

  it('counts unfinished uploads a client removes, apart from uploads that were finished', async () => {
    const core = await start();
    writeFileSync(inbound('B-u-1.csv.part'), 'cut');
    writeFileSync(inbound('B-u-2.csv'), 'no manifest');
    writeFileSync(inbound('B-u-3.csv.part'), 'going on');
    await core.scanNow();
    expect(core.stats().inbound).toMatchObject({ unfinishedRemoved: 0, unfinishedNow: 3 });

    rmSync(inbound('B-u-1.csv.part'));
    rmSync(inbound('B-u-2.csv'));
    rmSync(inbound('B-u-3.csv.part'));
    drop('B-u-3', payments('u', 1));
    await core.scanNow();
    await core.scanNow();
    expect(core.stats().inbound).toEqual({
      unfinishedRemoved: 2,
      unfinishedNow: 0,
      oldestUnfinishedAgeMs: 0,
    });
  });

  describe('over the devstack sshd', () => {
    const env = (name: string): string => {
      const value = process.env[name];
      if (!value)
        throw new Error(`${name} must be set (the integration global setup exports the devstack's SFTP_*)`);
      return value;
    };

    it('processes a batch uploaded through real SFTP (.part, rename, manifest last) and returns the receipt over SFTP', async () => {
      const localRoot = env('SFTP_ROOT');
      const remoteRoot = process.env['SFTP_REMOTE_ROOT'] ?? localRoot;
      const destination = `sim-it-${process.pid}-${Date.now()}`;
      // The host key is pinned: the test fails on a server it did not expect instead of trusting on first use.
      const pinned = Buffer.from(
        readFileSync(env('SFTP_HOST_PUBLIC_KEY_PATH'), 'utf8').trim().split(/\s+/)[1]!,
        'base64',
      );
      const core = await startSftpCore({ root: localRoot, destinations: [destination], pollIntervalMs: 25 });
      started.push(core);
      const sftp = new SftpClient('sftp-core-it');
      try {
        await sftp.connect({
          host: env('SFTP_HOST'),
          port: Number(env('SFTP_PORT')),
          username: env('SFTP_USERNAME'),
          privateKey: readFileSync(env('SFTP_PRIVATE_KEY_PATH')),
          hostVerifier: (key: Buffer) => key.equals(pinned),
          readyTimeout: 10_000,
        });
        const { csv, manifest } = buildPaymentsBatch('B-sftp-1', payments('sftp', 3));
        const dir = `${remoteRoot}/${destination}/inbound`;
        await sftp.put(csv, `${dir}/B-sftp-1.csv.part`);
        await sftp.rename(`${dir}/B-sftp-1.csv.part`, `${dir}/B-sftp-1.csv`);
        await sftp.put(Buffer.from(JSON.stringify(manifest)), `${dir}/B-sftp-1.manifest.json.part`);
        await sftp.rename(`${dir}/B-sftp-1.manifest.json.part`, `${dir}/B-sftp-1.manifest.json`);

        const receiptPath = `${remoteRoot}/${destination}/receipts/B-sftp-1.receipt.json`;
        await waitFor(() => core.receiptsFor('B-sftp-1')[0], 'the receipt of the SFTP upload', 10_000);
        const overSftp = JSON.parse(((await sftp.get(receiptPath)) as Buffer).toString('utf8')) as Receipt;
        expect(overSftp).toEqual({
          batchId: 'B-sftp-1',
          status: 'PROCESSED',
          records: [
            { idempotencyKey: 'sftp-1', line: 2, outcome: 'POSTED', providerRef: 'pay_00000001' },
            { idempotencyKey: 'sftp-2', line: 3, outcome: 'POSTED', providerRef: 'pay_00000002' },
            { idempotencyKey: 'sftp-3', line: 4, outcome: 'POSTED', providerRef: 'pay_00000003' },
          ],
        });
        expect(await readReceipt(localRoot, destination, 'B-sftp-1')).toEqual(overSftp);
        expect(core.journal()).toHaveLength(3);
        expect((await sftp.list(dir)).map((f) => f.name)).toEqual([]);
      } finally {
        await sftp.end().catch(() => undefined);
        await core.close();
        rmSync(join(localRoot, destination), { recursive: true, force: true });
      }
    });
  });
});
