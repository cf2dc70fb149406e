import { randomBytes } from 'node:crypto';
import type { WritebackRequested } from '@closeout/contracts';
import type { DataSource } from 'typeorm';
import { createWritebackDataSource } from '../lib/persistence/writeback-data-source';

/** A throwaway schema with the writeback migrations applied: each test gets its own, dropped afterwards. */
export interface FreshWritebackSchema {
  schema: string;
  dataSource: DataSource;
  /** Another data source on the same schema (a second process, a relay that gets killed). */
  open(options?: { poolSize?: number; applicationName?: string }): Promise<DataSource>;
  drop(): Promise<void>;
}

export function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run through the integration Jest project (its global setup sets it)',
    );
  return url;
}

export async function freshWritebackSchema(
  options: { poolSize?: number; prefix?: string; migrate?: boolean } = {},
): Promise<FreshWritebackSchema> {
  const url = databaseUrl();
  const schema = `${options.prefix ?? 'wb_test'}_${randomBytes(5).toString('hex')}`;
  const dataSource = await createWritebackDataSource({
    url,
    schema,
    poolSize: options.poolSize ?? 10,
    runMigrations: options.migrate ?? true,
  });
  const opened: DataSource[] = [dataSource];
  return {
    schema,
    dataSource,
    async open(extra = {}) {
      const ds = await createWritebackDataSource({
        url,
        schema,
        poolSize: extra.poolSize ?? 5,
        applicationName: extra.applicationName,
      });
      opened.push(ds);
      return ds;
    },
    async drop() {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const ds of opened) if (ds.isInitialized) await ds.destroy();
    },
  };
}

let sequence = 0;

/** A valid canonical request; override what the test is about. */
export function aRequest(overrides: Partial<WritebackRequested> = {}): WritebackRequested {
  sequence += 1;
  const caseId = overrides.caseId ?? `case-${sequence}`;
  return {
    eventId: `evt-${sequence}-${randomBytes(4).toString('hex')}`,
    occurredAt: Date.now(),
    correlationId: `corr-${caseId}`,
    causationId: null,
    idempotencyKey: `idem-${sequence}-${randomBytes(4).toString('hex')}`,
    destination: 'core-banking',
    protocol: 'REST',
    operation: 'payment.post',
    caseId,
    workflowId: 'failed-payment-recovery',
    contractVersion: '1.0.0',
    mappingVersion: 'core-banking.payment.post.v1',
    payloadJson: JSON.stringify({ accountId: 'ACC-1', amountMinor: 12_345, currency: 'EUR' }),
    consentRef: null,
    requestedAt: Date.now(),
    ...overrides,
  };
}
