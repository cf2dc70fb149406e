import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  startSftpCore,
  type JournalEntry,
  type Receipt,
  type SftpCore,
} from '@closeout/simulators/sftp-core';
import { defaultMappingRegistry, retryPolicyFor, type WritebackError } from '@closeout/writeback-domain';
import {
  freshWritebackSchema,
  type FreshWritebackSchema,
  samplePaymentRequest,
  until,
} from '@closeout/writeback-core/testing';
import {
  DestinationBreaker,
  LedgerRepository,
  WritebackIntake,
  WritebackMetrics,
  WritebackWorker,
} from '@closeout/writeback-core';
import { parseSftpDestinations } from './sftp-destination.config';
import { SftpDestination } from './sftp-destination';
import { sftpSendRequest } from './testing/sftp-send-request';

/**
 * The SFTP destination against the real devstack sshd and the simulated batch core — hostile where the test says so —
 * and, where outcomes reach the ledger, through the unchanged writeback worker on real PostgreSQL: records share
 * batches, receipts decide each record only as far as they can be believed, what a receipt leaves out is replayed
 * under its key, and uploads a crash cut off are swept.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} must be set (the integration global setup exports the devstack's SFTP_*)`);
  return value;
};
const remoteRoot = (): string => process.env['SFTP_REMOTE_ROOT'] ?? env('SFTP_ROOT');
const repoRoot = resolve(__dirname, '../../../../..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function settingsFor(folder: string, overrides: Record<string, unknown> = {}) {
  const [settings] = parseSftpDestinations([
    {
      name: folder,
      mappingsOf: 'core-banking-sftp',
      host: env('SFTP_HOST'),
      port: Number(env('SFTP_PORT')),
      username: env('SFTP_USERNAME'),
      privateKeyPath: env('SFTP_PRIVATE_KEY_PATH'),
      hostPublicKeyPath: env('SFTP_HOST_PUBLIC_KEY_PATH'),
      remoteDir: `${remoteRoot()}/${folder}`,
      layoutVersion: 'payments-v1',
      honoursIdempotencyKey: true,
      batch: { maxRecords: 50, windowMs: 200, chunkBytes: 256 },
      receiptWindowMs: 5_000,
      receiptPollMs: 50,
      ...overrides,
    },
  ]);
  return settings!;
}

describe('SftpDestination (real sshd, simulated batch core, real PostgreSQL)', () => {
  let db: FreshWritebackSchema;
  let core: SftpCore;
  let ledger: LedgerRepository;
  let folder: string;
  let destination: SftpDestination | undefined;
  let running: { worker: WritebackWorker; breaker: DestinationBreaker; intake: WritebackIntake } | undefined;
  let warnings: Array<{ msg: string; obj: object }>;
  const extraCores: SftpCore[] = [];
  const extraDestinations: SftpDestination[] = [];
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    folder = `wb-sftp-it-${process.pid}-${Date.now()}`;
    db = await freshWritebackSchema({ poolSize: 10 });
    ledger = new LedgerRepository(db.dataSource);
    core = await startSftpCore({ root: env('SFTP_ROOT'), destinations: [folder], pollIntervalMs: 25 });
    warnings = [];
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    if (running) {
      await running.worker.stop();
      running.breaker.shutdown();
      running = undefined;
    }
    await Promise.all([destination, ...extraDestinations.splice(0)].map((d) => d?.close()));
    destination = undefined;
    await Promise.all([core, ...extraCores.splice(0)].map((c) => c.close()));
    await db.drop();
  });

  /** The destination alone, for tests that call send and lookup themselves; warnings are kept for assertions. */
  function openDestination(overrides: Record<string, unknown> = {}, name = folder): SftpDestination {
    destination = new SftpDestination(settingsFor(name, overrides), {
      warn: (obj, msg) => void warnings.push({ obj, msg }),
    });
    return destination;
  }

  /** The destination driven by the writeback worker, as writeback-sftp runs it. */
  function startWorker(overrides: Record<string, unknown> = {}): WritebackIntake {
    const sftp = openDestination(overrides);
    const breaker = new DestinationBreaker({
      destination: folder,
      probe: () => sftp.probe(),
      probeIntervalMs: 500,
    });
    const metrics = new WritebackMetrics();
    const policy = retryPolicyFor(folder, {
      [folder]: {
        baseDelayMs: 20,
        maxDelayMs: 100,
        unknownResolveDelayMs: 100,
        destinationHonoursIdempotencyKey: true,
      },
    });
    const worker = new WritebackWorker({
      service: 'writeback-sftp',
      workerId: `sftp-it-${process.pid}`,
      ledger,
      destinations: new Map([
        [folder, { destination: sftp, breaker, policy, mappingsOf: 'core-banking-sftp' }],
      ]),
      mappings: defaultMappingRegistry,
      metrics,
      concurrency: 100,
      idlePollMs: 20,
      leaseMs: 20_000,
    });
    const intake = new WritebackIntake({
      service: 'writeback-sftp',
      protocol: 'SFTP',
      destinations: new Set([folder]),
      mappingsOf: new Map([[folder, 'core-banking-sftp']]),
      ledger,
      mappings: defaultMappingRegistry,
      metrics,
      onAdmitted: () => worker.wake(),
    });
    worker.start();
    running = { worker, breaker, intake };
    return intake;
  }

  const requests = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) =>
      samplePaymentRequest(from + i, { customerId: `sftp-${folder}`, destination: folder, protocol: 'SFTP' }),
    );

  const journal = (): readonly JournalEntry[] => core.journal().filter((e) => e.destination === folder);
  const postingsOf = (key: string): readonly JournalEntry[] =>
    journal().filter((e) => e.idempotencyKey === key);
  const lookupOf = (key: string) =>
    destination!.lookup({
      idempotencyKey: key,
      providerRef: null,
      correlationId: 'c',
      operation: 'payment.post',
    });

  async function settled(n: number): Promise<void> {
    await until(
      `${n} settled writebacks`,
      async () => {
        const [r] = await db.dataSource.query(
          `SELECT count(*)::int AS n FROM "${db.schema}".ledger WHERE status IN ('APPLIED', 'FAILED_PERMANENT')`,
        );
        return r.n === n ? true : undefined;
      },
      30_000,
      50,
    );
  }

  async function attemptsOf(
    key: string,
  ): Promise<Array<{ kind: string; outcome: string; provider_code: string }>> {
    return db.dataSource.query(
      `SELECT a.kind, a.outcome, a.provider_code FROM "${db.schema}".ledger_attempt a
       JOIN "${db.schema}".ledger l ON l.id = a.ledger_id WHERE l.idempotency_key = $1 ORDER BY a.id`,
      [key],
    );
  }

  it('posts records in shared batches and applies each with the provider reference from its receipt', async () => {
    const intake = startWorker();
    const batch = requests(20);
    expect((await intake.handleMany(batch)).every((o) => o.kind === 'admitted')).toBe(true);
    await settled(20);

    expect(journal()).toHaveLength(20);
    expect(new Set(journal().map((e) => e.batchId)).size).toBeLessThan(20);
    for (const request of batch) {
      const row = (await ledger.findByKey(folder, request.idempotencyKey))!;
      expect(row.status).toBe('APPLIED');
      expect(row.providerRef).toBe(postingsOf(request.idempotencyKey)[0]!.providerRef);
    }
  });

  it('replays exactly the records a partial ingest did not reach, and nothing else', async () => {
    const intake = startWorker();
    core.setFaults({ mode: 'partial_ingest', afterRecords: 3, count: 1 });
    const batch = requests(10, 100);
    await intake.handleMany(batch);
    await settled(10);

    expect(journal()).toHaveLength(10);
    expect(new Set(journal().map((e) => e.idempotencyKey)).size).toBe(10);
    const sends = await db.dataSource.query(
      `SELECT l.idempotency_key, count(*)::int AS n FROM "${db.schema}".ledger_attempt a JOIN "${db.schema}".ledger l ON l.id = a.ledger_id
       WHERE a.kind = 'send' GROUP BY 1`,
    );
    const twice = sends.filter((s: { n: number }) => s.n === 2);
    expect(sends).toHaveLength(10);
    expect(twice).toHaveLength(7);
    expect(sends.filter((s: { n: number }) => s.n === 1)).toHaveLength(3);
  });

  it('does not mark a batch sent when the core finds its checksum wrong: nothing posts, then it is sent again', async () => {
    const intake = startWorker();
    core.setFaults({ mode: 'checksum_mismatch', count: 1 });
    await intake.handleMany(requests(5, 200));
    await settled(5);

    const attempts = await db.dataSource.query(
      `SELECT a.outcome, a.provider_code FROM "${db.schema}".ledger_attempt a ORDER BY a.id`,
    );
    expect(attempts.filter((a: { provider_code: string }) => a.provider_code === 'REJECTED')).toHaveLength(5);
    expect(journal()).toHaveLength(5);
  });

  it('resumes a cut upload from the size the server holds instead of starting over', async () => {
    const sftpDestination = openDestination();
    const localDir = join(env('SFTP_ROOT'), folder, 'resume');
    const remoteDir = `${remoteRoot()}/${folder}/resume`;
    const remote = `${remoteDir}/batch.csv`;
    const data = Buffer.from('x'.repeat(1_000) + 'y'.repeat(1_000));
    const internals = sftpDestination as unknown as {
      session(): Promise<{
        mkdir(path: string, recursive: boolean): Promise<unknown>;
        put(data: Buffer, path: string): Promise<unknown>;
      }>;
      uploadWithResume(path: string, data: Buffer, deadline: number): Promise<void>;
    };
    // A previous attempt was cut after 1,000 bytes (written over SFTP, as the service would have). Marker bytes stand
    // in for them, so the result shows whether the upload appended the rest (resumed) or started over from byte 0.
    const sftp = await internals.session();
    await sftp.mkdir(remoteDir, true);
    await sftp.put(Buffer.from('r'.repeat(1_000)), `${remote}.part`);

    await internals.uploadWithResume(remote, data, performance.now() + 60_000);

    expect(existsSync(join(localDir, 'batch.csv.part'))).toBe(false);
    expect(readFileSync(join(localDir, 'batch.csv')).toString()).toBe('r'.repeat(1_000) + 'y'.repeat(1_000));
  });

  it('routes a hard failure with the core’s code and never sends it again', async () => {
    const intake = startWorker();
    const [request] = requests(1, 300);
    core.setFaults({ mode: 'hard_fail', count: 1, match: { idempotencyKey: request!.idempotencyKey } });
    await intake.handle(request!);
    await settled(1);
    await sleep(300);

    const row = (await ledger.findByKey(folder, request!.idempotencyKey))!;
    expect(row).toMatchObject({ status: 'FAILED_PERMANENT', lastErrorClass: 'VALIDATION', attempts: 1 });
    expect(journal()).toHaveLength(0);
  });

  describe('hostile receipts', () => {
    it('takes a record its receipt lists twice with contradicting answers as unknown: resolved by lookup to APPLIED with the journal’s reference, never FAILED_PERMANENT', async () => {
      const intake = startWorker();
      const batch = requests(4, 400);
      const contradicted = batch.slice(0, 3);
      core.setFaults(
        ...(['hard_fail', 'other_ref', 'no_ref'] as const).map((contradiction, i) => ({
          mode: 'contradicting_receipt' as const,
          contradiction,
          match: { idempotencyKey: contradicted[i]!.idempotencyKey },
        })),
      );
      await intake.handleMany(batch);
      await settled(4);

      expect(journal()).toHaveLength(4);
      for (const request of batch) {
        const row = (await ledger.findByKey(folder, request.idempotencyKey))!;
        expect(row).toMatchObject({
          status: 'APPLIED',
          providerRef: postingsOf(request.idempotencyKey)[0]!.providerRef,
        });
      }
      for (const request of contradicted)
        expect(await attemptsOf(request.idempotencyKey)).toEqual([
          { kind: 'send', outcome: 'UNKNOWN', provider_code: 'RECEIPT_CONTRADICTION' },
          { kind: 'resolve', outcome: 'APPLIED', provider_code: 'found' },
        ]);
      expect(warnings.filter((w) => w.msg.startsWith('receipt cannot be believed'))).not.toHaveLength(0);
    });

    it('refuses receipt records for keys not in the batch: neither the batch’s answers nor a lookup — here or in a successor — take a made-up reference', async () => {
      openDestination({ receiptWindowMs: 1_000 });
      // The first batch posts but is never answered; the second's receipt claims its keys under made-up references.
      core.setFaults({ mode: 'no_receipt', count: 1 });
      const first = requests(5, 500);
      const unanswered = Promise.allSettled(first.map((r) => destination!.send(sftpSendRequest(r))));
      await until('the first batch posted', () => (journal().length === 5 ? true : undefined), 10_000, 20);
      core.setFaults({ mode: 'foreign_receipt_records', foreignRecords: 8, count: 1 });
      const second = requests(5, 510);
      const answers = await Promise.all(second.map((r) => destination!.send(sftpSendRequest(r))));

      const firstKeys = new Set(first.map((r) => r.idempotencyKey));
      const receipts = readdirSync(join(env('SFTP_ROOT'), folder, 'receipts')).map(
        (name) =>
          JSON.parse(readFileSync(join(env('SFTP_ROOT'), folder, 'receipts', name), 'utf8')) as Receipt,
      );
      const realRefs = new Set(journal().map((e) => e.providerRef));
      const madeUp = receipts
        .flatMap((r) => r.records)
        .filter((r) => firstKeys.has(r.idempotencyKey) && !realRefs.has(r.providerRef ?? ''));
      expect(madeUp.map((r) => r.outcome)).toEqual(['POSTED', 'POSTED', 'POSTED', 'POSTED', 'POSTED']);

      answers.forEach((answer, i) =>
        expect(answer.providerRef).toBe(postingsOf(second[i]!.idempotencyKey)[0]!.providerRef),
      );
      for (const outcome of await unanswered)
        expect(outcome).toMatchObject({ status: 'rejected', reason: { providerCode: 'NO_RECEIPT' } });
      // A successor (the service restarted) has awaited none of these receipts and reads the folder afresh.
      const successor = new SftpDestination(settingsFor(folder), { warn: () => undefined });
      extraDestinations.push(successor);
      for (const request of first) {
        const query = {
          idempotencyKey: request.idempotencyKey,
          providerRef: null,
          correlationId: request.correlationId,
          operation: 'payment.post',
        };
        const truth = { kind: 'found', providerRef: postingsOf(request.idempotencyKey)[0]!.providerRef };
        expect(await destination!.lookup(query)).toEqual(truth);
        expect(await successor.lookup(query)).toEqual(truth);
      }
      expect(journal()).toHaveLength(10);
      expect(warnings.find((w) => w.msg.includes('keys not in its batch'))?.obj).toMatchObject({
        foreignRecords: 8,
      });
    });

    it('lookup believes the core’s posting report, not receipts: a made-up POSTED for a failed record is not found; a record the core posted twice is found under its first reference', async () => {
      openDestination();
      const [failed, twice] = requests(2, 600);
      core.setFaults(
        { mode: 'soft_fail', count: 1, match: { idempotencyKey: failed!.idempotencyKey } },
        { mode: 'contradicting_receipt', count: 1, match: { idempotencyKey: failed!.idempotencyKey } },
      );
      await expect(destination!.send(sftpSendRequest(failed!))).rejects.toMatchObject({
        errorClass: 'AMBIGUOUS',
        providerCode: 'RECEIPT_CONTRADICTION',
      });
      expect(postingsOf(failed!.idempotencyKey)).toHaveLength(0);
      expect(await lookupOf(failed!.idempotencyKey)).toEqual({ kind: 'not_found' });

      core.setFaults({ mode: 'reingest_after_crash', count: 1 });
      const answer = await destination!.send(sftpSendRequest(twice!));
      const postings = await until(
        'the core posting the batch again',
        () =>
          postingsOf(twice!.idempotencyKey).length === 2 ? postingsOf(twice!.idempotencyKey) : undefined,
        5_000,
        20,
      );
      // Whichever receipt was read, the reference is one of the two real postings; the lookup takes the first.
      expect(postings.map((p) => p.providerRef)).toContain(answer.providerRef);
      expect(await lookupOf(twice!.idempotencyKey)).toEqual({
        kind: 'found',
        providerRef: postings[0]!.providerRef,
      });
      expect(warnings.some((w) => w.msg.startsWith('the core reports several postings'))).toBe(true);
    });

    it('takes a garbled or oversized receipt as an unknown outcome found by lookup; a posting report over the cap leaves the lookup inconclusive', async () => {
      openDestination({ maxReceiptBytes: 2_048, maxReportBytes: 2_048 });
      const [garbled, oversized, ...more] = requests(18, 700);
      core.setFaults({ mode: 'garbled_receipt', count: 1 });
      await expect(destination!.send(sftpSendRequest(garbled!))).rejects.toMatchObject({
        errorClass: 'AMBIGUOUS',
        providerCode: 'RECEIPT_UNREADABLE',
      });
      core.setFaults({ mode: 'oversized_receipt', padBytes: 100_000, count: 1 });
      await expect(destination!.send(sftpSendRequest(oversized!))).rejects.toMatchObject({
        errorClass: 'AMBIGUOUS',
        providerCode: 'RECEIPT_UNREADABLE',
        message: expect.stringContaining('over maxReceiptBytes'),
      });
      for (const request of [garbled!, oversized!])
        expect(await lookupOf(request.idempotencyKey)).toEqual({
          kind: 'found',
          providerRef: postingsOf(request.idempotencyKey)[0]!.providerRef,
        });

      core.clearFaults();
      await Promise.allSettled(more.map((r) => destination!.send(sftpSendRequest(r))));
      expect(journal()).toHaveLength(18);
      expect(await lookupOf(garbled!.idempotencyKey)).toMatchObject({
        kind: 'inconclusive',
        reason: expect.stringContaining('over maxReportBytes (2048): not read'),
      });
    });
  });

  describe('uploads cut off by a crash', () => {
    /** A second folder the core does not process (it polls once an hour), so planted batches stay where they are. */
    async function quietFolder(suffix: string): Promise<string> {
      const name = `${folder}-${suffix}`;
      extraCores.push(
        await startSftpCore({ root: env('SFTP_ROOT'), destinations: [name], pollIntervalMs: 3_600_000 }),
      );
      return name;
    }

    it('a successor removes the .part a SIGKILL cut off mid-upload, and orphaned CSVs — never a batch whose manifest is in place, nor another client’s files', async () => {
      const killFolder = await quietFolder('kill');
      const inbound = join(env('SFTP_ROOT'), killFolder, 'inbound');
      const records = 100;
      const child = spawn(
        join(repoRoot, 'node_modules', '.bin', 'node'),
        [
          '-r',
          '@swc-node/register',
          join(__dirname, 'testing', 'sftp-upload.kill-fixture.ts'),
          JSON.stringify({
            ...settingsFor(killFolder),
            batch: { maxRecords: records, windowMs: 60_000, chunkBytes: 64 },
          }),
          String(records),
        ],
        { cwd: repoRoot, stdio: 'ignore' },
      );
      children.push(child);
      // Cut once a few chunks are up: a 100-record batch in 64-byte chunks is far from done.
      const part = await until(
        'an upload under way',
        () =>
          readdirSync(inbound).find((n) => n.endsWith('.csv.part') && statSync(join(inbound, n)).size >= 128),
        30_000,
        10,
      );
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
      const cutAt = statSync(join(inbound, part)).size;
      await sleep(300);
      expect(statSync(join(inbound, part)).size).toBe(cutAt);

      // Left there by others: a complete batch of this destination waiting for the core, an orphaned CSV of this
      // destination (its manifest never came), and another client's cut upload.
      const prefix = killFolder.replace(/[^A-Za-z0-9_-]/g, '_');
      const complete = `${prefix}-1700000000000-0000000a`;
      const orphan = `${prefix}-1700000000000-0000000b`;
      const stranger = `someone-else-1700000000000-0000000c.csv.part`;
      const successor = openDestination(
        { staleUploadMs: 1_000, connectTimeoutMs: 500, sweepIntervalMs: 100 },
        killFolder,
      );
      const sftp = await (
        successor as unknown as { session(): Promise<{ put(d: Buffer, p: string): Promise<unknown> }> }
      ).session();
      const remoteInbound = `${remoteRoot()}/${killFolder}/inbound`;
      for (const name of [`${complete}.csv`, `${complete}.manifest.json`, `${orphan}.csv`, stranger])
        await sftp.put(Buffer.from('planted'), `${remoteInbound}/${name}`);

      await until(
        'the cut upload and the orphan removed',
        () =>
          existsSync(join(inbound, part)) || existsSync(join(inbound, `${orphan}.csv`)) ? undefined : true,
        10_000,
        50,
      );
      await sleep(500);
      expect(readdirSync(inbound).sort()).toEqual(
        [`${complete}.csv`, `${complete}.manifest.json`, stranger].sort(),
      );
      expect(warnings.some((w) => w.msg.startsWith('removed unfinished uploads'))).toBe(true);
    });

    it('abandons a batch it cannot upload within half the stale bound: no manifest ever, nothing posted, its files removed', async () => {
      const sftpDestination = openDestination({
        staleUploadMs: 1_000,
        connectTimeoutMs: 500,
        batch: { maxRecords: 40, windowMs: 50, chunkBytes: 1 },
      });
      const sends = requests(40, 800).map((r) => sftpDestination.send(sftpSendRequest(r)));
      const outcomes = await Promise.allSettled(sends);

      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        const error = (outcome as PromiseRejectedResult).reason as WritebackError;
        expect(error).toMatchObject({ errorClass: 'TRANSIENT', sent: false });
        expect(error.message).toContain('abandoned');
      }
      const inbound = join(env('SFTP_ROOT'), folder, 'inbound');
      await until(
        'its files removed',
        () => (readdirSync(inbound).length === 0 ? true : undefined),
        5_000,
        20,
      );
      await core.scanNow();
      expect(journal()).toHaveLength(0);
      expect(core.stats().batches).toBe(0);
    });
  });
});
