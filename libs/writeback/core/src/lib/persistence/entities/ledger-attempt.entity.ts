import type { WritebackErrorClass, WritebackStatus } from '@closeout/contracts';
import { Check, Column, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { AttemptKind, LedgerAttemptRow } from '../../ledger/ledger.types';
import { LedgerEntity } from './ledger.entity';

/** `ledger_attempt`: one row per send or resolve lookup. Insert-only; a trigger rejects UPDATE, DELETE, TRUNCATE. */
@Entity({ name: 'ledger_attempt' })
@Unique('ledger_attempt_no_uq', ['ledgerId', 'attemptNo'])
@Check('ledger_attempt_kind_ck', `kind IN ('send', 'resolve')`)
@Check(
  'ledger_attempt_outcome_ck',
  `outcome IN ('PENDING', 'IN_FLIGHT', 'APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN', 'REJECTED_CONFLICT', 'COMPENSATED')`,
)
@Check(
  'ledger_attempt_error_class_ck',
  `error_class IN ('TRANSIENT', 'RATE_LIMITED', 'VALIDATION', 'AMBIGUOUS', 'CONFLICT', 'CIRCUIT_OPEN')`,
)
@Check('ledger_attempt_latency_ck', `latency_ms >= 0 AND finished_at >= started_at`)
export class LedgerAttemptEntity implements LedgerAttemptRow {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'ledger_attempt_pkey' })
  id!: string;

  @Column('bigint', { name: 'ledger_id' })
  @ForeignKey(() => LedgerEntity, { name: 'ledger_attempt_ledger_fk' })
  ledgerId!: string;

  @Column('integer', { name: 'attempt_no' })
  attemptNo!: number;

  @Column('text')
  kind!: AttemptKind;

  @Column('text', { nullable: true })
  worker!: string | null;

  @Column('text')
  outcome!: WritebackStatus;

  @Column('timestamptz', { name: 'started_at' })
  startedAt!: Date;

  @Column('timestamptz', { name: 'finished_at' })
  finishedAt!: Date;

  @Column('text', { name: 'error_class', nullable: true })
  errorClass!: WritebackErrorClass | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage!: string | null;

  @Column('text', { name: 'provider_code', nullable: true })
  providerCode!: string | null;

  @Column('text', { name: 'provider_ref', nullable: true })
  providerRef!: string | null;

  @Column('integer', { name: 'latency_ms' })
  latencyMs!: number;

  @Column('timestamptz', { name: 'recorded_at', default: () => 'now()' })
  recordedAt!: Date;
}
