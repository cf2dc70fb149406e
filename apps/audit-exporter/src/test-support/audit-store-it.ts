/**
 * Test support for the audit store's specs, the tamper figures and the bench: a fresh store in its own schema of the
 * devstack's PostgreSQL (migrated as the service migrates it), an Ed25519 key pair, and audit events as services emit
 * them. Not imported by the service.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { baseEnvSchema, loadConfig } from '@closeout/config';
import type { AuditEvent } from '@closeout/contracts';
import { dataSourceOptions, migrate } from '@closeout/platform';
import { auditMigrations } from '../persistence/1797600000000-audit-store.migration';
import { checkpointSigner, type CheckpointSigner } from '../store/checkpoint-signing';

export interface TestStore {
  db: DataSource;
  schema: string;
  /** Drops the schema (the tables' triggers refuse row deletes, not a DROP by their owner). */
  drop(): Promise<void>;
}

export function databaseUrl(): string {
  return loadConfig(baseEnvSchema.pick({ DATABASE_URL: true })).DATABASE_URL;
}

/** A migrated, empty store in schema `audit_<label>_<random>`. */
export async function freshStore(label: string): Promise<TestStore> {
  const schema = `audit_${label}_${randomUUID().slice(0, 8)}`;
  const options = { url: databaseUrl(), schema, entities: [], migrations: auditMigrations, poolSize: 4 };
  await migrate(options);
  const db = new DataSource(dataSourceOptions(options));
  await db.initialize();
  return {
    db,
    schema,
    drop: async () => {
      await db.query(`DROP SCHEMA "${schema}" CASCADE`);
      await db.destroy();
    },
  };
}

export interface TestKeys {
  signer: CheckpointSigner;
  publicKey: KeyObject;
  /** The key files, as an operator and an auditor hold them. */
  privateKeyFile: string;
  publicKeyFile: string;
}

export function testKeys(keyId = `test-${randomUUID().slice(0, 8)}`): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const privateKeyFile = join(tmpdir(), `${keyId}.key.pem`);
  const publicKeyFile = join(tmpdir(), `${keyId}.pub.pem`);
  writeFileSync(privateKeyFile, privatePem, { mode: 0o600 });
  writeFileSync(publicKeyFile, publicPem);
  return { signer: checkpointSigner(privatePem, keyId), publicKey, privateKeyFile, publicKeyFile };
}

const ACTIONS = [
  ['trigger-ingest', 'trigger.accepted'],
  ['orchestrator', 'case.opened'],
  ['messaging', 'outreach.sent'],
  ['mini-app-backend', 'identity.verified'],
  ['mini-app-backend', 'action.submitted'],
  ['writeback-rest', 'writeback.applied'],
  ['orchestrator', 'case.completed'],
] as const;

/** One audit event of a case, as a service builds it. */
export function auditEvent(caseId: string, step: number, at = Date.now()): AuditEvent {
  const [service, action] = ACTIONS[step % ACTIONS.length]!;
  return {
    eventId: randomUUID(),
    occurredAt: at,
    correlationId: `corr-${caseId}`,
    causationId: null,
    actor: { type: 'SERVICE', id: service },
    action,
    outcome: 'SUCCESS',
    service,
    host: 'test-host',
    reason: `step ${step} of the case's story`,
    caseId,
    versions: { contract: '1', definition: '3' },
    references: { idempotencyKey: `wb_${randomUUID().replace(/-/g, '')}`, payloadRef: `payload/${step}` },
  };
}

/** `n` events over `cases` cases (each case's events in its own order), as interleaved as the topic carries them. */
export function auditEvents(n: number, cases: number, run = randomUUID().slice(0, 8)): AuditEvent[] {
  const base = Date.now() - n;
  return Array.from({ length: n }, (_, i) =>
    auditEvent(`case-${run}-${i % cases}`, Math.floor(i / cases), base + i),
  );
}
