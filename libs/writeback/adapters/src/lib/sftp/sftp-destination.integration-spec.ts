import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSftpCore, type SftpCore } from '@closeout/simulators/sftp-core';
import { defaultMappingRegistry, retryPolicyFor } from '@closeout/writeback-domain';
import { freshWritebackSchema, samplePaymentRequest, type FreshWritebackSchema } from '../../testing';
import { DestinationBreaker } from '../breaker/destination-breaker';
import { LedgerRepository } from '../ledger/ledger.repository';
import { WritebackIntake } from '../worker/writeback-intake';
import { WritebackMetrics } from '../worker/writeback-metrics';
import { WritebackWorker } from '../worker/writeback-worker';
import { parseSftpDestinations } from './sftp-destination.config';
import { SftpDestination } from './sftp-destination';

/**
 * The unchanged writeback worker driving batches through the real devstack sshd into the simulated SFTP batch core:
 * records share batches, receipts decide each record, and what a receipt leaves out is replayed under its key.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} must be set (the integration global setup exports the devstack's SFTP_*)`);
  return value;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SftpDestination through the writeback worker (real sshd, real PostgreSQL)', () => {
  let db: FreshWritebackSchema;
  let core: SftpCore;
  let worker: WritebackWorker;
  let destination: SftpDestination;
  let breaker: DestinationBreaker;
  let ledger: LedgerRepository;
  let intake: WritebackIntake;
  let folder: string;

  beforeEach(async () => {
    folder = `wb-sftp-it-${process.pid}-${Date.now()}`;
    db = await freshWritebackSchema({ poolSize: 10 });
    ledger = new LedgerRepository(db.dataSource);
    core = await startSftpCore({ root: env('SFTP_ROOT'), destinations: [folder], pollIntervalMs: 25 });
    const [settings] = parseSftpDestinations([
      {
        name: folder,
        mappingsOf: 'core-banking-sftp',
        host: env('SFTP_HOST'),
        port: Number(env('SFTP_PORT')),
        username: env('SFTP_USERNAME'),
        privateKeyPath: env('SFTP_PRIVATE_KEY_PATH'),
        hostPublicKeyPath: env('SFTP_HOST_PUBLIC_KEY_PATH'),
        remoteDir: `${process.env['SFTP_REMOTE_ROOT'] ?? env('SFTP_ROOT')}/${folder}`,
        layoutVersion: 'payments-v1',
        batch: { maxRecords: 50, windowMs: 200, chunkBytes: 256 },
        receiptWindowMs: 5_000,
        receiptPollMs: 50,
      },
    ]);
    destination = new SftpDestination(settings!);
    breaker = new DestinationBreaker({
      destination: folder,
      probe: () => destination.probe(),
      probeIntervalMs: 500,
    });
    const metrics = new WritebackMetrics();
    const policy = retryPolicyFor(folder, {
      [folder]: { baseDelayMs: 20, maxDelayMs: 100, unknownResolveDelayMs: 100 },
    });
    worker = new WritebackWorker({
      service: 'writeback-sftp',
      workerId: `sftp-it-${process.pid}`,
      ledger,
      destinations: new Map([[folder, { destination, breaker, policy, mappingsOf: 'core-banking-sftp' }]]),
      mappings: defaultMappingRegistry,
      metrics,
      concurrency: 100,
      idlePollMs: 20,
      leaseMs: 20_000,
    });
    intake = new WritebackIntake({
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
  });

  afterEach(async () => {
    await worker.stop();
    breaker.shutdown();
    await destination.close();
    await core.close();
    await db.drop();
  });

  const requests = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) =>
      samplePaymentRequest(from + i, { customerId: `sftp-${folder}`, destination: folder, protocol: 'SFTP' }),
    );

  async function settled(n: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [r] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM "${db.schema}".ledger WHERE status IN ('APPLIED', 'FAILED_PERMANENT')`,
      );
      if (r.n === n) return;
      if (Date.now() > deadline) throw new Error(`only ${r.n}/${n} settled`);
      await sleep(50);
    }
  }

  it('posts records in shared batches and applies each with the provider reference from its receipt', async () => {
    const batch = requests(20);
    expect((await intake.handleMany(batch)).every((o) => o.kind === 'admitted')).toBe(true);
    await settled(20);

    const journal = core.journal().filter((e) => e.destination === folder);
    expect(journal).toHaveLength(20);
    expect(new Set(journal.map((e) => e.batchId)).size).toBeLessThan(20);
    for (const request of batch) {
      const row = (await ledger.findByKey(folder, request.idempotencyKey))!;
      expect(row.status).toBe('APPLIED');
      expect(row.providerRef).toBe(
        journal.find((e) => e.idempotencyKey === request.idempotencyKey)!.providerRef,
      );
    }
  });

  it('replays exactly the records a partial ingest did not reach, and nothing else', async () => {
    core.setFaults({ mode: 'partial_ingest', afterRecords: 3, count: 1 });
    const batch = requests(10, 100);
    await intake.handleMany(batch);
    await settled(10);

    const journal = core.journal().filter((e) => e.destination === folder);
    expect(journal).toHaveLength(10);
    expect(new Set(journal.map((e) => e.idempotencyKey)).size).toBe(10);
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
    core.setFaults({ mode: 'checksum_mismatch', count: 1 });
    await intake.handleMany(requests(5, 200));
    await settled(5);

    const attempts = await db.dataSource.query(
      `SELECT a.outcome, a.provider_code FROM "${db.schema}".ledger_attempt a ORDER BY a.id`,
    );
    expect(attempts.filter((a: { provider_code: string }) => a.provider_code === 'REJECTED')).toHaveLength(5);
    expect(core.journal().filter((e) => e.destination === folder)).toHaveLength(5);
  });

  it('resumes a cut upload from the size the server holds instead of starting over', async () => {
    const localDir = join(env('SFTP_ROOT'), folder, 'resume');
    const remoteDir = `${process.env['SFTP_REMOTE_ROOT'] ?? env('SFTP_ROOT')}/${folder}/resume`;
    const remote = `${remoteDir}/batch.csv`;
    const data = Buffer.from('x'.repeat(1_000) + 'y'.repeat(1_000));
    const internals = destination as unknown as {
      session(): Promise<{
        mkdir(path: string, recursive: boolean): Promise<unknown>;
        put(data: Buffer, path: string): Promise<unknown>;
      }>;
      uploadWithResume(path: string, data: Buffer): Promise<void>;
    };
    // A previous attempt was cut after 1,000 bytes (written over SFTP, as the service would have). Marker bytes stand
    // in for them, so the result shows whether the upload appended the rest (resumed) or started over from byte 0.
    const sftp = await internals.session();
    await sftp.mkdir(remoteDir, true);
    await sftp.put(Buffer.from('r'.repeat(1_000)), `${remote}.part`);

    await internals.uploadWithResume(remote, data);

    expect(existsSync(join(localDir, 'batch.csv.part'))).toBe(false);
    expect(readFileSync(join(localDir, 'batch.csv')).toString()).toBe('r'.repeat(1_000) + 'y'.repeat(1_000));
  });

  it('routes a hard failure with the core’s code and never sends it again', async () => {
    const [request] = requests(1, 300);
    core.setFaults({ mode: 'hard_fail', count: 1, match: { idempotencyKey: request!.idempotencyKey } });
    await intake.handle(request!);
    await settled(1);
    await sleep(300);

    const row = (await ledger.findByKey(folder, request!.idempotencyKey))!;
    expect(row).toMatchObject({ status: 'FAILED_PERMANENT', lastErrorClass: 'VALIDATION', attempts: 1 });
    expect(core.journal().filter((e) => e.destination === folder)).toHaveLength(0);
  });
});
