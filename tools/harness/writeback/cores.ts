/**
 * The simulated cores (test doubles) the fault-and-crash harness drives, each behind one shape: how to start it
 * with faults at a rate, how writeback-<protocol> reaches it, and what its journal and stats say afterwards.
 */
import type { Protocol } from '@closeout/contracts';
import { startRestCore, type FaultRule as RestFaultRule } from '@closeout/simulators/rest-core';
import { startSoapCore, type FaultRule as SoapFaultRule } from '@closeout/simulators/soap-core';
import { startSftpCore, type FaultRule as SftpFaultRule } from '@closeout/simulators/sftp-core';

export type HarnessProtocol = Protocol;

/** One posting in the core's journal, normalised. */
export interface Posting {
  idempotencyKey: string | null;
  providerRef: string;
  amountMinor: number | undefined;
  /**
   * The core posted this key again by its own fault (a re-ingest after its crash): in its posting report for the
   * reconciler to find, not a duplicate Closeout sent.
   */
  repostedByCore?: boolean;
}

export interface CoreStats {
  /** Write calls received (lookups and queries excluded). */
  writes: number;
  faultsInjected: Record<string, number>;
  invalidThenRetried: { total: number; byIdempotencyKey: Record<string, number> };
  retryAfterViolations: { total: number };
  /** Figures only this kind of core has, printed as they are (e.g. the batch core's hostile receipts). */
  figures?: Record<string, number>;
  /** What the core saw the client leave wrong beyond the journal's proof (e.g. unfinished uploads never removed). */
  clientViolations?: string[];
}

export interface CoreUnderTest {
  protocol: HarnessProtocol;
  app: 'writeback-rest' | 'writeback-soap' | 'writeback-sftp';
  /** Service settings this core needs besides the harness's defaults (e.g. a longer lease for batches). */
  serviceEnv?: Record<string, string>;
  destination: string;
  /** The environment variable and value that point writeback-<protocol> at this core. */
  destinationsEnv(runId: string, requestTimeoutMs: number): Record<string, string>;
  /** A description for the log. */
  where: string;
  journal(): Posting[];
  stats(): CoreStats;
  close(): Promise<void>;
}

export const SLOW_COMMIT_MS = 1_500;

/** How far the hostile cores' lookups trail their commits: the destinations declare a bound above it. */
export const LOOKUP_LAG_MS = 1_000;

/**
 * The REST core with every fault mode at a rate and Idempotency-Key ignored throughout: only Closeout's ledger stands
 * between a retry and a second posting. Hostile too: 409 while a slow first request commits, answers carrying another
 * posting's reference and key, refusals inside a 2xx, 5 MB error bodies, gateway pages after a commit, and lookups
 * served by a replica that trails the writes.
 */
export async function restCore(random: () => number): Promise<CoreUnderTest> {
  const rates: Record<string, number> = {
    error_5xx: 0.04,
    connection_reset: 0.03,
    slow_commit: 0.03,
    commit_then_timeout: 0.03,
    rate_limited: 0.03,
    invalid_4xx: 0.01,
    in_progress: 0.02,
    foreign_answer: 0.02,
    reject_2xx: 0.005,
    huge_error: 0.002,
    gateway_page: 0.02,
  };
  const faults: RestFaultRule[] = [
    { mode: 'ignore_idempotency_key' },
    { mode: 'lagging_lookup', delayMs: LOOKUP_LAG_MS },
  ];
  for (const [mode, rate] of Object.entries(rates)) {
    const rule: RestFaultRule = { mode: mode as RestFaultRule['mode'], rate };
    if (mode === 'slow_commit' || mode === 'in_progress') rule.delayMs = SLOW_COMMIT_MS;
    if (mode === 'rate_limited') rule.retryAfterSeconds = 1;
    faults.push(rule);
  }
  const core = await startRestCore({ faults, random });
  return {
    protocol: 'REST',
    app: 'writeback-rest',
    // Its own destination name, with the real one's mappings: the main job's writeback-rest, if running, leaves
    // these requests alone instead of sending them to its own core.
    destination: 'core-banking-rest-harness',
    where: core.url,
    destinationsEnv: (runId, requestMs) => ({
      WRITEBACK_REST_DESTINATIONS: JSON.stringify([
        {
          name: 'core-banking-rest-harness',
          mappingsOf: 'core-banking-rest',
          baseUrl: core.url,
          auth: { type: 'bearer', token: `harness-token-${runId}-0123456789` },
          apiVersions: ['2024-06-01', '2025-01-15'],
          timeouts: { connectMs: 500, requestMs },
          honoursIdempotencyKey: false,
          // A commit can take SLOW_COMMIT_MS and its lookup trails it by LOOKUP_LAG_MS.
          lookupVisibilityMs: SLOW_COMMIT_MS + LOOKUP_LAG_MS + 1_000,
        },
      ]),
    }),
    journal: () =>
      core.journal().map((e) => ({
        idempotencyKey: e.idempotencyKey,
        providerRef: e.transactionId,
        amountMinor: (e.body as { amount?: { value_minor?: number } }).amount?.value_minor,
      })),
    stats: () => core.stats(),
    close: () => core.close(),
  };
}

/**
 * The SOAP core with vendor faults (invalid, host unavailable, status unknown after posting), slow and dropped
 * commits, throttling, and server-side retries that would double-post without our IdempotencyKey header. Hostile too:
 * answers with this call's correlation id but another posting's TransactionRef, gateway pages after a commit, refusals
 * inside a WriteResult, and a QueryTransaction served by a replica that trails the writes.
 */
export async function soapCore(random: () => number): Promise<CoreUnderTest> {
  const rates: Record<string, number> = {
    vendor_transient: 0.04,
    vendor_ambiguous: 0.03,
    slow_commit: 0.03,
    commit_then_timeout: 0.03,
    throttled: 0.03,
    vendor_invalid: 0.01,
    server_retry: 0.05,
    foreign_ref: 0.02,
    gateway_page: 0.02,
    reject_status: 0.01,
  };
  const faults: SoapFaultRule[] = [{ mode: 'lagging_query', delayMs: LOOKUP_LAG_MS }];
  for (const [mode, rate] of Object.entries(rates)) {
    const rule: SoapFaultRule = { mode: mode as SoapFaultRule['mode'], rate };
    if (mode === 'slow_commit') rule.delayMs = SLOW_COMMIT_MS;
    if (mode === 'throttled') rule.retryAfterSeconds = 1;
    faults.push(rule);
  }
  const core = await startSoapCore({ faults, random });
  return {
    protocol: 'SOAP',
    app: 'writeback-soap',
    destination: 'core-banking-soap-harness',
    where: core.url,
    destinationsEnv: (_runId, requestMs) => ({
      WRITEBACK_SOAP_DESTINATIONS: JSON.stringify([
        {
          name: 'core-banking-soap-harness',
          mappingsOf: 'core-banking-soap',
          wsdlUrl: core.wsdlUrl,
          endpoint: core.url,
          healthUrl: `${core.baseUrl}/health`,
          soapVersion: '1.1',
          wsdlVersion: 'CoreBankingService-2019.2',
          timeouts: { connectMs: 500, requestMs },
          lookupVisibilityMs: SLOW_COMMIT_MS + LOOKUP_LAG_MS + 1_000,
          // Its answers have been seen to carry other postings' references: believed once QueryTransaction agrees.
          confirmAnswersByLookup: true,
        },
      ]),
    }),
    journal: () =>
      core.journal().map((e) => ({
        idempotencyKey: e.idempotencyKey,
        providerRef: e.transactionRef,
        amountMinor:
          (e.body as { Amount?: { MinorUnits?: number | string } }).Amount?.MinorUnits === undefined
            ? undefined
            : Number((e.body as { Amount: { MinorUnits: number | string } }).Amount.MinorUnits),
      })),
    stats: () => {
      const s = core.stats();
      return {
        writes: s.calls - s.callsByOutcome.query_found - s.callsByOutcome.query_not_found,
        faultsInjected: s.faultsInjected,
        invalidThenRetried: s.invalidThenRetried,
        retryAfterViolations: s.retryAfterViolations,
      };
    },
    close: () => core.close(),
  };
}

/**
 * The SFTP batch core, processing what the writeback service uploads through the devstack's real sshd: batches
 * rejected for a wrong checksum, cut short by a partial ingest, receipts late or never written, soft and hard
 * record failures. Hostile too: receipts listing keys the batch never had under made-up references, records listed
 * twice with contradicting answers, receipts garbled or past the read cap, and batches the core posts twice after
 * its own crash (both postings in its journal and posting report).
 */
export async function sftpCore(
  random: () => number,
  env: Record<string, string>,
  runId: string,
): Promise<CoreUnderTest> {
  const folder = `core-banking-sftp-harness-${runId}`;
  // Unfinished uploads are removed once unchanged this long; an upload not done within half of it is abandoned.
  const staleUploadMs = 8_000;
  const sweepIntervalMs = 1_000;
  // What writeback-sftp reads of one receipt; the core pads some receipts past it.
  const maxReceiptBytes = 256 * 1024;
  const faults: SftpFaultRule[] = [
    // Each hostile receipt once for certain, whatever the draw (a short run has only a few batches), then at a rate.
    { mode: 'reingest_after_crash', count: 1 },
    { mode: 'contradicting_receipt', count: 1 },
    { mode: 'garbled_receipt', count: 1 },
    { mode: 'foreign_receipt_records', count: 1, foreignRecords: 5 },
    { mode: 'checksum_mismatch', rate: 0.05 },
    { mode: 'partial_ingest', rate: 0.05, afterRecords: 5 },
    { mode: 'no_receipt', rate: 0.03 },
    { mode: 'delay_receipt', rate: 0.05, delayMs: 500 },
    { mode: 'soft_fail', rate: 0.03 },
    { mode: 'hard_fail', rate: 0.01 },
    { mode: 'foreign_receipt_records', rate: 0.1, foreignRecords: 5 },
    { mode: 'contradicting_receipt', rate: 0.02 },
    { mode: 'reingest_after_crash', rate: 0.08 },
    { mode: 'garbled_receipt', rate: 0.05 },
    { mode: 'oversized_receipt', rate: 0.05, padBytes: maxReceiptBytes + 1_024 },
  ];
  const core = await startSftpCore({
    root: env['SFTP_ROOT']!,
    destinations: [folder],
    pollIntervalMs: 50,
    faults,
    random,
  });
  const mine = (byKey: Record<string, number>): Record<string, number> =>
    Object.fromEntries(
      Object.entries(byKey)
        .filter(([k]) => k.startsWith(`${folder}/`))
        .map(([k, v]) => [k.slice(folder.length + 1), v]),
    );
  // A killed service's cut uploads are removed by its successor once stale: allow a restart on top of the bound.
  const leftBehindMs = staleUploadMs + sweepIntervalMs + 30_000;
  return {
    protocol: 'SFTP',
    app: 'writeback-sftp',
    destination: folder,
    where: `${env['SFTP_HOST']}:${env['SFTP_PORT']} → ${env['SFTP_ROOT']}/${folder}`,
    serviceEnv: {
      WRITEBACK_LEASE_MS: '20000',
      WRITEBACK_WORKER_CONCURRENCY: '300',
      WRITEBACK_WORKER_BATCH_SIZE: '300',
    },
    destinationsEnv: () => ({
      WRITEBACK_SFTP_DESTINATIONS: JSON.stringify([
        {
          name: folder,
          mappingsOf: 'core-banking-sftp',
          host: env['SFTP_HOST'],
          port: Number(env['SFTP_PORT']),
          username: env['SFTP_USERNAME'],
          privateKeyPath: env['SFTP_PRIVATE_KEY_PATH'],
          hostPublicKeyPath: env['SFTP_HOST_PUBLIC_KEY_PATH'],
          remoteDir: `${env['SFTP_REMOTE_ROOT'] ?? env['SFTP_ROOT']}/${folder}`,
          layoutVersion: 'payments-v1',
          honoursIdempotencyKey: true,
          batch: { maxRecords: 200, windowMs: 300 },
          receiptWindowMs: 4_000,
          receiptPollMs: 100,
          connectTimeoutMs: 2_000,
          maxReceiptBytes,
          staleUploadMs,
          sweepIntervalMs,
        },
      ]),
    }),
    journal: () =>
      core
        .journal()
        .filter((e) => e.destination === folder)
        .map((e) => ({
          idempotencyKey: e.idempotencyKey,
          providerRef: e.providerRef,
          amountMinor: Number(e.record.amountMinor),
          repostedByCore: e.repostOf !== undefined,
        })),
    stats: () => {
      const s = core.stats();
      const { inbound } = s;
      return {
        // A batch the core ingests again after its own crash was sent once.
        writes: s.records - s.recordsReingested,
        faultsInjected: s.faultsInjected,
        invalidThenRetried: {
          total: s.hardFailedThenResubmitted.total,
          byIdempotencyKey: mine(s.hardFailedThenResubmitted.byIdempotencyKey),
        },
        retryAfterViolations: { total: 0 },
        figures: {
          'foreign receipt records': s.hostileReceipts.foreignRecords,
          'contradicting receipt records': s.hostileReceipts.contradictingRecords,
          'garbled receipts': s.hostileReceipts.garbled,
          'oversized receipts': s.hostileReceipts.oversized,
          'batches re-ingested by the core': s.batchesReingested,
          'unfinished uploads removed': inbound.unfinishedRemoved,
          'unfinished uploads left': inbound.unfinishedNow,
        },
        clientViolations:
          inbound.oldestUnfinishedAgeMs > leftBehindMs
            ? [
                `${inbound.unfinishedNow} unfinished upload(s) in inbound, the oldest there for ${inbound.oldestUnfinishedAgeMs} ms (past ${leftBehindMs} ms: never removed)`,
              ]
            : [],
      };
    },
    close: () => core.close(),
  };
}
