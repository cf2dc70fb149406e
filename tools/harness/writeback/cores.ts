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
}

export interface CoreStats {
  /** Write calls received (lookups and queries excluded). */
  writes: number;
  faultsInjected: Record<string, number>;
  invalidThenRetried: { total: number; byIdempotencyKey: Record<string, number> };
  retryAfterViolations: { total: number };
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

/**
 * The REST core with every fault mode at a rate and Idempotency-Key ignored throughout: only Closeout's ledger stands
 * between a retry and a second posting.
 */
export async function restCore(random: () => number): Promise<CoreUnderTest> {
  const rates: Record<string, number> = {
    error_5xx: 0.04,
    connection_reset: 0.03,
    slow_commit: 0.03,
    commit_then_timeout: 0.03,
    rate_limited: 0.03,
    invalid_4xx: 0.01,
  };
  const faults: RestFaultRule[] = [{ mode: 'ignore_idempotency_key' }];
  for (const [mode, rate] of Object.entries(rates)) {
    const rule: RestFaultRule = { mode: mode as RestFaultRule['mode'], rate };
    if (mode === 'slow_commit') rule.delayMs = SLOW_COMMIT_MS;
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
 * commits, throttling, and server-side retries that would double-post without our IdempotencyKey header.
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
  };
  const faults: SoapFaultRule[] = [];
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
 * record failures.
 */
export async function sftpCore(
  random: () => number,
  env: Record<string, string>,
  runId: string,
): Promise<CoreUnderTest> {
  const folder = `core-banking-sftp-harness-${runId}`;
  const faults: SftpFaultRule[] = [
    { mode: 'checksum_mismatch', rate: 0.05 },
    { mode: 'partial_ingest', rate: 0.05, afterRecords: 5 },
    { mode: 'no_receipt', rate: 0.03 },
    { mode: 'delay_receipt', rate: 0.05, delayMs: 500 },
    { mode: 'soft_fail', rate: 0.03 },
    { mode: 'hard_fail', rate: 0.01 },
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
          batch: { maxRecords: 200, windowMs: 300 },
          receiptWindowMs: 4_000,
          receiptPollMs: 100,
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
        })),
    stats: () => {
      const s = core.stats();
      return {
        writes: s.records,
        faultsInjected: s.faultsInjected,
        invalidThenRetried: {
          total: s.hardFailedThenResubmitted.total,
          byIdempotencyKey: mine(s.hardFailedThenResubmitted.byIdempotencyKey),
        },
        retryAfterViolations: { total: 0 },
      };
    },
    close: () => core.close(),
  };
}
