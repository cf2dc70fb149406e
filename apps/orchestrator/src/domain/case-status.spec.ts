import {
  assertTransition,
  awaitsCustomer,
  canTransition,
  CaseTransitionError,
  isTerminal,
} from './case-status';

describe('case status machine', () => {
  it('completes only from AWAITING_WRITEBACK or an exception raised while writebacks were outstanding', () => {
    expect(canTransition('AWAITING_WRITEBACK', 'COMPLETED')).toBe(true);
    expect(canTransition('EXCEPTION', 'COMPLETED')).toBe(true);
    for (const from of ['TRIGGERED', 'OUTREACH', 'AWAITING_CUSTOMER', 'EXPIRED'] as const) {
      expect(canTransition(from, 'COMPLETED')).toBe(false);
    }
  });

  it('never moves a terminal case', () => {
    expect(isTerminal('COMPLETED')).toBe(true);
    expect(isTerminal('CLOSED')).toBe(true);
    expect(() => assertTransition('COMPLETED', 'EXCEPTION')).toThrow(CaseTransitionError);
    expect(() => assertTransition('CLOSED', 'AWAITING_CUSTOMER')).toThrow(
      /CLOSED → AWAITING_CUSTOMER is not allowed \(from CLOSED: none, it is terminal\)/,
    );
  });

  it('takes customer actions only while outreach is under way', () => {
    expect(awaitsCustomer('OUTREACH')).toBe(true);
    expect(awaitsCustomer('AWAITING_CUSTOMER')).toBe(true);
    expect(awaitsCustomer('AWAITING_WRITEBACK')).toBe(false);
    expect(awaitsCustomer('EXPIRED')).toBe(false);
  });

  it('lets an agent hand an expired or excepted case back to the customer', () => {
    expect(canTransition('EXPIRED', 'AWAITING_CUSTOMER')).toBe(true);
    expect(canTransition('EXCEPTION', 'AWAITING_CUSTOMER')).toBe(true);
    expect(canTransition('EXCEPTION', 'AWAITING_WRITEBACK')).toBe(true);
  });
});
