import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablesOf } from './migration-tables';

/**
 * Finds the ledger row holding a provider reference: a destination's transaction id names one posting, so an answer
 * naming a reference another row already holds is someone else's answer (see `LedgerRepository.holdersOfProviderRefs`).
 * Not unique: a row that recorded a foreign reference before its owner did must still be findable, never rejected by
 * a constraint that would abort a whole batch of transitions.
 */
export class IndexLedgerProviderRef1795317400000 implements MigrationInterface {
  name = 'IndexLedgerProviderRef1795317400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = tablesOf(queryRunner);
    await queryRunner.query(
      `CREATE INDEX ledger_provider_ref_idx ON ${t.ledger} (destination, provider_ref) WHERE provider_ref IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const t = tablesOf(queryRunner);
    await queryRunner.query(`DROP INDEX "${t.schema}".ledger_provider_ref_idx`);
  }
}
