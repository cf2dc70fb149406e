import type { WritebackRequested } from '@closeout/contracts';
import { Check, Column, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { LedgerConflictRow } from '../../ledger/ledger.types';
import { LedgerEntity } from './ledger.entity';

/** `ledger_conflict`: a request that reused a key with a different payload. Insert-only, like the attempts. */
@Entity({ name: 'ledger_conflict' })
@Unique('ledger_conflict_event_uq', ['ledgerId', 'eventId'])
@Check('ledger_conflict_fingerprint_ck', `fingerprint <> existing_fingerprint`)
export class LedgerConflictEntity implements LedgerConflictRow {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'ledger_conflict_pkey' })
  id!: string;

  @Column('bigint', { name: 'ledger_id' })
  @ForeignKey(() => LedgerEntity, { name: 'ledger_conflict_ledger_fk' })
  ledgerId!: string;

  @Column('text')
  destination!: string;

  @Column('text', { name: 'idempotency_key' })
  idempotencyKey!: string;

  @Column('text')
  fingerprint!: string;

  @Column('text', { name: 'existing_fingerprint' })
  existingFingerprint!: string;

  @Column('text', { name: 'event_id' })
  eventId!: string;

  @Column('text', { name: 'correlation_id' })
  correlationId!: string;

  @Column('text', { name: 'causation_id', nullable: true })
  causationId!: string | null;

  @Column('jsonb')
  request!: WritebackRequested;

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt!: Date;
}
