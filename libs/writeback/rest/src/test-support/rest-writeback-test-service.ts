import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { baseEnvSchema, loadConfig } from '@closeout/config';
import { Topics, type AuditEvent, type WritebackResult } from '@closeout/contracts';
import { EventSubscriber, loadVerificationKeys, RecordVerifier, type RecordSigner } from '@closeout/kafka';
import { ServiceCoreModule } from '@closeout/platform';
import { retryPolicyFor, type RetryPolicyConfig } from '@closeout/writeback-domain';
import { writebackEntities, writebackMigrations } from '@closeout/writeback-core';
import { WritebackServiceModule } from '@closeout/writeback-core/nest';
import { freePort } from '@closeout/writeback-core/testing';
import { parseRestDestinations } from '../lib/rest-destination.config';
import { RestDestination } from '../lib/rest-destination';

/** Consumer settings that let a test's groups join and rebalance in seconds. */
export const FAST_TEST_CONSUMER = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 100,
} as const;

export interface RestWritebackTestServiceOptions {
  /** SERVICE_NAME and the writeback service's name (its consumer groups derive from it). */
  service: string;
  /** The ledger's PostgreSQL schema. */
  schema: string;
  /** The destination's name, served by the simulated REST core at `coreUrl`. */
  destination: string;
  coreUrl: string;
  /** The core's request timeout (default 1 s). */
  requestMs?: number;
  /** Retry-policy overrides for the destination (fast backoff by default). */
  policy?: Partial<RetryPolicyConfig>;
  /** WRITEBACK_REQUEST_PUBLIC_KEYS as a deployment gets it: the keys whose signatures it trusts. */
  trustedKeys: string;
  /** When the test publishes writeback.requested through this app's publisher, as the orchestrator would. */
  signer?: RecordSigner;
}

/**
 * A real writeback service for one REST destination, in-process: intake on the real writeback.requested topic, the
 * ledger on the real PostgreSQL, worker, outbox relay; the shape every deployment has (apps/writeback-rest), with
 * test-speed consumers and backoff. The caller closes the app; `destination` is the service's own adapter.
 */
export async function startRestWritebackTestService(
  options: RestWritebackTestServiceOptions,
): Promise<{ app: INestApplication; destination: RestDestination }> {
  const { service, schema, destination } = options;
  const [settings] = parseRestDestinations([
    {
      name: destination,
      mappingsOf: 'core-banking-rest',
      baseUrl: options.coreUrl,
      auth: { type: 'bearer', token: 'test-token-0123456789' },
      apiVersions: ['2024-06-01', '2025-01-15'],
      timeouts: { connectMs: 500, requestMs: options.requestMs ?? 1_000 },
    },
  ]);
  const restDestination = new RestDestination(settings!);
  const config = loadConfig(baseEnvSchema, {
    ...process.env,
    SERVICE_NAME: service,
    HTTP_PORT: String(await freePort()),
  });
  @Module({
    imports: [
      ServiceCoreModule.forService({
        config,
        topics: [
          Topics.writebackRequested,
          Topics.writebackResult,
          Topics.writebackCommand,
          Topics.auditEvent,
        ],
        database: { schema, entities: writebackEntities, migrations: writebackMigrations },
        ...(options.signer ? { signer: options.signer } : {}),
      }),
      WritebackServiceModule.register({
        service,
        protocol: 'REST',
        requestVerifier: new RecordVerifier(loadVerificationKeys(options.trustedKeys)),
        destinations: [
          {
            destination: restDestination,
            mappingsOf: 'core-banking-rest',
            policy: retryPolicyFor(destination, {
              [destination]: { baseDelayMs: 20, maxDelayMs: 40, ...options.policy },
            }),
          },
        ],
        worker: { idlePollMs: 50 },
        intakeConsumer: FAST_TEST_CONSUMER,
      }),
    ],
  })
  class RestWritebackTestModule {}
  const app = await NestFactory.create(RestWritebackTestModule, { logger: false });
  await app.init();
  return { app, destination: restDestination };
}

/**
 * What a test service publishes from now on, gathered as it comes: the `writeback.result.v1` records `mine` accepts
 * and the service's own audit events. Resolves once both test consumer groups are positioned.
 */
export async function collectWritebackOutput(
  app: INestApplication,
  service: string,
  mine: (result: WritebackResult) => boolean,
): Promise<{ results: WritebackResult[]; audits: AuditEvent[] }> {
  const results: WritebackResult[] = [];
  const audits: AuditEvent[] = [];
  const subscriber = app.get(EventSubscriber);
  const consumer = FAST_TEST_CONSUMER;
  const subscriptions = await Promise.all([
    subscriber.subscribe({
      groupId: `${service}.test-results`,
      topic: Topics.writebackResult,
      fromBeginning: false,
      consumer,
      handler: ({ value }) => {
        if (mine(value)) results.push(value);
        return Promise.resolve();
      },
    }),
    subscriber.subscribe({
      groupId: `${service}.test-audit`,
      topic: Topics.auditEvent,
      fromBeginning: false,
      consumer,
      handler: ({ value }) => {
        if (value.service === service) audits.push(value);
        return Promise.resolve();
      },
    }),
  ]);
  await Promise.all(subscriptions.map((s) => s.whenPositioned()));
  return { results, audits };
}

/** Closes the app, then drops its ledger schema over a fresh connection (the app's data source closes with it). */
export async function closeRestWritebackTestService(
  app: INestApplication | undefined,
  schema: string,
): Promise<void> {
  const db = app?.get(DataSource);
  await app?.close();
  if (db) {
    await db.initialize();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  }
}
