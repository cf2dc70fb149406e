import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { OutboxHeaders } from '@closeout/outbox';

/** `outbox`: messages decided in a ledger transaction, waiting for the relay. Ordered by id. */
@Entity({ name: 'outbox' })
@Check('outbox_topic_ck', `topic <> ''`)
@Check('outbox_key_ck', `jsonb_typeof(key) = 'object'`)
@Check('outbox_value_ck', `jsonb_typeof(value) = 'object'`)
@Check(
  'outbox_headers_ck',
  `jsonb_typeof(headers) = 'object' AND coalesce(headers ->> 'correlationId', '') <> ''`,
)
@Check(
  'outbox_set_aside_ck',
  `(set_aside_at IS NULL) = (set_aside_reason IS NULL) AND (set_aside_at IS NULL OR published_at IS NULL)`,
)
@Index('outbox_unpublished_idx', ['id'], { where: 'published_at IS NULL' })
@Index('outbox_set_aside_idx', ['id'], { where: 'set_aside_at IS NOT NULL' })
export class OutboxEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'outbox_pkey' })
  id!: string;

  @Column('text')
  topic!: string;

  @Column('jsonb')
  key!: Record<string, unknown>;

  @Column('jsonb')
  value!: Record<string, unknown>;

  @Column('jsonb')
  headers!: OutboxHeaders;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt!: Date | null;

  /** When the relay gave up on the message for good (see OutboxRelay); it waits for an operator to re-drive or discard. */
  @Column('timestamptz', { name: 'set_aside_at', nullable: true })
  setAsideAt!: Date | null;

  @Column('text', { name: 'set_aside_reason', nullable: true })
  setAsideReason!: string | null;

  /** W3C trace context of the decision that wrote the message; the relay publishes it (docs/operations/tracing.md). */
  @Column('text', { name: 'traceparent', nullable: true })
  traceparent!: string | null;

  @Column('text', { name: 'tracestate', nullable: true })
  tracestate!: string | null;
}
