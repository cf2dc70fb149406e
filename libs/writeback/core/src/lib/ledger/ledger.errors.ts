import type { WritebackStatus } from '@closeout/contracts';
import { DomainError } from '@closeout/errors';

/** Codes of the errors the ledger raises; callers switch on these, never on message text. */
export type LedgerErrorCode =
  'LEDGER_LOST_LEASE' | 'LEDGER_ROW_NOT_FOUND' | 'LEDGER_INVALID_ARGUMENT' | 'LEDGER_INVALID_SCHEMA_NAME';

/** What the ledger refuses or could not do; `message` (the DomainError's rule) says which row and why. */
export class LedgerError<Code extends LedgerErrorCode = LedgerErrorCode> extends DomainError<Code> {
  constructor(code: Code, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * The guarded UPDATE matched no row: another worker moved the row on (its status is no longer one of `expected`)
 * or took the lease over. Nothing was written; the caller drops its result — the row is someone else's now.
 */
export class LostLeaseError extends LedgerError<'LEDGER_LOST_LEASE'> {
  constructor(
    readonly ledgerId: string,
    readonly expected: { from: readonly WritebackStatus[]; owner: string | null },
    readonly found: { status: WritebackStatus; owner: string | null },
  ) {
    super(
      'LEDGER_LOST_LEASE',
      `ledger row ${ledgerId}: expected status in [${expected.from.join(', ')}] leased by ${expected.owner ?? 'nobody'}, ` +
        `found ${found.status} leased by ${found.owner ?? 'nobody'}`,
    );
  }
}

export class LedgerRowNotFoundError extends LedgerError<'LEDGER_ROW_NOT_FOUND'> {
  constructor(readonly ledgerId: string) {
    super('LEDGER_ROW_NOT_FOUND', `ledger row ${ledgerId} does not exist`);
  }
}
