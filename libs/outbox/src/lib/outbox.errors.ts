export type OutboxErrorCode = 'OUTBOX_INVALID_ARGUMENT' | 'OUTBOX_INVALID_SCHEMA_NAME';

/** A programming or configuration error around the outbox (a bad option, an unsafe schema name): never retried. */
export class OutboxError extends Error {
  constructor(
    readonly code: OutboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
