/**
 * Verifies an audit store with the public key alone (what an auditor is given):
 *
 *   npm run audit:verify -- --public-key audit-signing.pub.pem [--database-url postgres://…] [--schema audit]
 *                           [--key-id <id>] [--json]
 *
 * The database URL defaults to DATABASE_URL; read access is all it needs. Walks the signed checkpoints and every
 * record in one snapshot and prints either "audit chain verified: N events, K checkpoints" or the first broken
 * position and why. Exit status: 0 verified, 1 broken, 2 the command could not run.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { baseEnvSchema, loadConfig } from '@closeout/config';
import { checkpointPublicKey } from '../store/checkpoint-signing';
import { verifyInSnapshot } from './store-verification.service';
import type { VerifyReport } from './verify-store';

const USAGE =
  'usage: audit:verify --public-key <pem file> [--database-url <url>] [--schema audit] [--key-id <id>] [--json]';

/** The one-line verdict a person reads (and the main job's report quotes). */
export function verdict(report: VerifyReport): string {
  if (report.ok)
    return (
      `audit chain verified: ${report.records} events, ${report.checkpoints} checkpoints` +
      (report.unsealedRecords > 0
        ? ` (${report.unsealedRecords} after the last checkpoint, chained, not yet signed)`
        : '') +
      (report.signaturesChecked ? '' : ' — signatures NOT checked: no public key')
    );
  const b = report.broken;
  if (!b) return 'audit chain BROKEN';
  return `audit chain BROKEN at ${b.table} ${b.seq}: ${b.kind} — ${b.reason} (${report.records} records verified before it)`;
}

async function main(): Promise<number> {
  let values: {
    'public-key'?: string;
    'database-url'?: string;
    schema?: string;
    'key-id'?: string;
    json?: boolean;
  };
  try {
    values = parseArgs({
      options: {
        'public-key': { type: 'string' },
        'database-url': { type: 'string' },
        schema: { type: 'string', default: 'audit' },
        'key-id': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const keyFile = values['public-key'];
  if (!keyFile) {
    console.error(`--public-key is required\n${USAGE}`);
    return 2;
  }
  const schema = values.schema ?? 'audit';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    console.error('--schema must be a lower-case PostgreSQL identifier');
    return 2;
  }
  let publicKey;
  try {
    publicKey = checkpointPublicKey(readFileSync(keyFile, 'utf8'));
  } catch (error) {
    console.error(`--public-key ${(error as Error).message}`);
    return 2;
  }
  const url = values['database-url'] ?? loadConfig(baseEnvSchema.pick({ DATABASE_URL: true })).DATABASE_URL;
  const db = new DataSource({ type: 'postgres', url, poolSize: 1 });
  await db.initialize();
  try {
    const report = await verifyInSnapshot(db, {
      schema,
      publicKey,
      ...(values['key-id'] ? { keyId: values['key-id'] } : {}),
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : verdict(report));
    return report.ok ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
