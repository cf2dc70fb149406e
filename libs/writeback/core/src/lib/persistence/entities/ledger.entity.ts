import type { Protocol, WritebackErrorClass, WritebackRequested, WritebackStatus } from '@closeout/contracts';
import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { LedgerRow } from '../../ledger/ledger.types';

/**
 * The `ledger` table as TypeORM sees it. The migration is the source of truth (synchronize is off); this mapping
 * mirrors it — constraint and index names included — and a test checks the two agree. The ledger repository
 * speaks SQL directly, because its guards are the point; the entity serves reads and tooling.
 */
@Entity({ name: 'ledger' })
@Unique('ledger_destination_idempotency_key_uq', ['destination', 'idempotencyKey'])
@Check(
  'ledger_status_ck',
  `status IN ('PENDING', 'IN_FLIGHT', 'APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN', 'REJECTED_CONFLICT', 'COMPENSATED')`,
)
@Check('ledger_claimed_from_ck', `claimed_from IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT')`)
@Check('ledger_protocol_ck', `protocol IN ('REST', 'SOAP', 'SFTP')`)
@Check(
  'ledger_last_error_class_ck',
  `last_error_class IN ('TRANSIENT', 'RATE_LIMITED', 'VALIDATION', 'AMBIGUOUS', 'CONFLICT', 'CIRCUIT_OPEN')`,
)
@Check('ledger_attempts_ck', `attempts >= 0`)
@Check(
  'ledger_lease_ck',
  `(lease_owner IS NULL) = (lease_expires_at IS NULL) AND (lease_owner IS NULL OR status IN ('IN_FLIGHT', 'UNKNOWN')) AND (status <> 'IN_FLIGHT' OR lease_owner IS NOT NULL)`,
)
@Check('ledger_applied_at_ck', `status NOT IN ('APPLIED', 'COMPENSATED') OR applied_at IS NOT NULL`)
@Check(
  'ledger_schedule_ck',
  `status NOT IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT') OR next_attempt_at IS NOT NULL`,
)
@Index('ledger_due_idx', ['nextAttemptAt', 'id'], {
  where: `status IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT')`,
})
@Index('ledger_unknown_since_idx', ['unknownSince'], { where: 'unknown_since IS NOT NULL' })
@Index('ledger_status_idx', ['status'])
@Index('ledger_case_id_idx', ['caseId'])
@Index('ledger_provider_ref_idx', ['destination', 'providerRef'], { where: 'provider_ref IS NOT NULL' })
export class LedgerEntity implements LedgerRow {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'ledger_pkey' })
  id!: string;

  @Column('text')
  destination!: string;

  @Column('text', { name: 'idempotency_key' })
  idempotencyKey!: string;

  @Column('text')
  fingerprint!: string;

  @Column('text')
  operation!: string;

  @Column('text')
  protocol!: Protocol;

  @Column('text', { name: 'case_id' })
  caseId!: string;

  @Column('text', { name: 'workflow_id' })
  workflowId!: string;

  @Column('text', { name: 'correlation_id' })
  correlationId!: string;

  @Column('text', { name: 'causation_id', nullable: true })
  causationId!: string | null;

  @Column('jsonb')
  request!: WritebackRequested;

  @Column('text', { default: 'PENDING' })
  status!: WritebackStatus;

  @Column('text', { name: 'claimed_from', nullable: true })
  claimedFrom!: WritebackStatus | null;

  @Column('integer', { default: 0 })
  attempts!: number;

  @Column('text', { name: 'provider_ref', nullable: true })
  providerRef!: string | null;

  @Column('text', { name: 'last_error_class', nullable: true })
  lastErrorClass!: WritebackErrorClass | null;

  @Column('text', { name: 'last_error_message', nullable: true })
  lastErrorMessage!: string | null;

  /** The W3C trace context of the message that admitted the row: the worker continues it. */
  @Column('text', { name: 'traceparent', nullable: true })
  traceparent!: string | null;

  @Column('text', { name: 'tracestate', nullable: true })
  tracestate!: string | null;

  @Column('text', { name: 'contract_version' })
  contractVersion!: string;

  @Column('text', { name: 'mapping_version' })
  mappingVersion!: string;

  @Column('text', { name: 'lease_owner', nullable: true })
  leaseOwner!: string | null;

  @Column('timestamptz', { name: 'lease_expires_at', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;

  @Column('timestamptz', { name: 'unknown_since', nullable: true })
  unknownSince!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'applied_at', nullable: true })
  appliedAt!: Date | null;
}
