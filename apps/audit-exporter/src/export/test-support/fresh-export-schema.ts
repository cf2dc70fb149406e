/**
 * Test support: a throwaway schema with the store's `record` table as the store defines it (seq 1,2,3… without gaps,
 * event_id unique, the event as JSON, a SHA-256 chain over canonical JSON) and the export's own migration, so the
 * export's specs and harness run on their own schema without the store's consumer.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { canonicalJson } from '@closeout/writeback-domain';
import { AuditExport1799900000000 } from '../1799900000000-audit-export.migration';
import type { StoredAuditEvent } from '../ocsf';

export const GENESIS_HASH = '0'.repeat(64);

export interface FreshExportSchema {
  schema: string;
  databaseUrl: string;
  dataSource: DataSource;
  /** Appends `n` chained records (ids returned in seq order). */
  append(n: number, make?: (i: number) => Partial<StoredAuditEvent>): Promise<string[]>;
  drop(): Promise<void>;
}

function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) throw new Error('DATABASE_URL is not set: eval "$(tools/devstack/devstack env)" first');
  return url;
}

/** A data source on `schema` as the platform opens one: the schema on the search path, the export's migration. */
export function exportDataSource(schema: string, url = databaseUrl(), poolSize = 5): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema,
    migrations: [AuditExport1799900000000],
    migrationsTableName: 'migrations',
    extra: { max: poolSize, options: `-c search_path=${schema}` },
  });
}

const ACTIONS = [
  'miniapp.identity-verified',
  'consent.revoked',
  'writeback.applied',
  'case.awaiting_customer',
];

export function auditEvent(i: number, over: Partial<StoredAuditEvent> = {}): StoredAuditEvent {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: `corr-${i % 97}`,
    causationId: null,
    actor: { type: 'SERVICE', id: 'orchestrator' },
    action: ACTIONS[i % ACTIONS.length]!,
    outcome: 'SUCCESS',
    service: 'orchestrator',
    host: 'pod-0',
    reason: `test event ${i}`,
    caseId: `case-${i % 101}`,
    versions: { contract: '1' },
    references: {},
    ...over,
  };
}

export async function freshExportSchema(prefix = 'audit_export_test'): Promise<FreshExportSchema> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const url = databaseUrl();
  const ds = exportDataSource(schema, url, 10);
  await ds.initialize();
  await ds.query(`CREATE SCHEMA "${schema}"`);
  await ds.query(`CREATE TABLE "${schema}"."record" (
    seq bigint PRIMARY KEY, event_id text NOT NULL UNIQUE, case_id text, occurred_at timestamptz NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(), action text NOT NULL, service text NOT NULL, event jsonb NOT NULL,
    canonical text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)`);
  await ds.runMigrations({ transaction: 'each' });
  return {
    schema,
    databaseUrl: url,
    dataSource: ds,
    async append(n, make = () => ({})) {
      const last = (await ds.query('SELECT seq, hash FROM "record" ORDER BY seq DESC LIMIT 1')) as {
        seq: string;
        hash: string;
      }[];
      let seq = Number(last[0]?.seq ?? 0);
      let prev = last[0]?.hash ?? GENESIS_HASH;
      const ids: string[] = [];
      for (let start = 0; start < n; start += 1000) {
        const rows: unknown[] = [];
        const values: string[] = [];
        for (let i = start; i < Math.min(n, start + 1000); i += 1) {
          seq += 1;
          const event = auditEvent(seq, make(seq));
          const canonical = canonicalJson(event);
          const hash = createHash('sha256').update(prev).update(canonical).digest('hex');
          const b = rows.length;
          values.push(
            `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::jsonb, $${b + 8}, $${b + 9}, $${b + 10})`,
          );
          rows.push(
            seq,
            event.eventId,
            event.caseId,
            new Date(Number(event.occurredAt)),
            event.action,
            event.service,
            JSON.stringify(event),
            canonical,
            prev,
            hash,
          );
          prev = hash;
          ids.push(event.eventId);
        }
        await ds.query(
          `INSERT INTO "record" (seq, event_id, case_id, occurred_at, action, service, event, canonical, prev_hash, hash) VALUES ${values.join(', ')}`,
          rows,
        );
      }
      return ids;
    },
    async drop() {
      await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await ds.destroy();
    },
  };
}
