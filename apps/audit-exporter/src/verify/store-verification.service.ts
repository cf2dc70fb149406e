import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditStoreSettings } from '../store/audit-store.writer';
import { AUDIT_STORE_SETTINGS } from '../tokens';
import { verifyStore, type RunQuery, type VerifyReport } from './verify-store';

/** Runs the verifier in one read-only REPEATABLE READ snapshot of the store. */
export async function verifyInSnapshot(
  db: DataSource,
  options: Parameters<typeof verifyStore>[1],
): Promise<VerifyReport> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const query: RunQuery = (sql, params) =>
      runner.query(sql, params) as Promise<Array<Record<string, unknown>>>;
    return await verifyStore(query, options);
  } finally {
    await runner.query('ROLLBACK').catch(() => undefined);
    await runner.release();
  }
}

/** The service's own verification (`GET /v1/audit/verify`): one at a time, with the public half of its signing key. */
@Injectable()
export class StoreVerificationService {
  private running = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(AUDIT_STORE_SETTINGS) private readonly settings: AuditStoreSettings,
  ) {}

  /** The report, or undefined when a verification is already running. */
  async verify(): Promise<VerifyReport | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const signer = this.settings.signer;
      return await verifyInSnapshot(this.db, {
        schema: this.settings.schema,
        ...(signer ? { publicKey: signer.publicKey, keyId: signer.keyId } : {}),
      });
    } finally {
      this.running = false;
    }
  }
}
