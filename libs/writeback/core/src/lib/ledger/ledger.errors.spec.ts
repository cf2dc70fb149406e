import { DomainError } from '@closeout/errors';
import { LedgerError, LedgerRowNotFoundError, LostLeaseError } from './ledger.errors';

describe('ledger errors', () => {
  it('are DomainErrors with the ledger code, named after their class', () => {
    const lost = new LostLeaseError(
      '42',
      { from: ['IN_FLIGHT'], owner: 'w1' },
      { status: 'UNKNOWN', owner: 'w2' },
    );
    expect(lost).toBeInstanceOf(LostLeaseError);
    expect(lost).toBeInstanceOf(LedgerError);
    expect(lost).toBeInstanceOf(DomainError);
    expect(lost).toMatchObject({
      name: 'LostLeaseError',
      code: 'LEDGER_LOST_LEASE',
      field: undefined,
      ledgerId: '42',
      found: { status: 'UNKNOWN', owner: 'w2' },
    });
    expect(lost.message).toBe(
      'ledger row 42: expected status in [IN_FLIGHT] leased by w1, found UNKNOWN leased by w2',
    );

    const missing = new LedgerRowNotFoundError('7');
    expect(missing).toBeInstanceOf(LedgerError);
    expect(missing).not.toBeInstanceOf(LostLeaseError);
    expect(missing).toMatchObject({ name: 'LedgerRowNotFoundError', code: 'LEDGER_ROW_NOT_FOUND' });
  });

  it('keep the cause they were given', () => {
    const cause = new Error('connection reset');
    const error = new LedgerError('LEDGER_INVALID_ARGUMENT', 'limit must be >= 1', { cause });
    expect(error).toMatchObject({
      name: 'LedgerError',
      code: 'LEDGER_INVALID_ARGUMENT',
      rule: 'limit must be >= 1',
    });
    expect(error.message).toBe('limit must be >= 1');
    expect(error.cause).toBe(cause);
  });
});
