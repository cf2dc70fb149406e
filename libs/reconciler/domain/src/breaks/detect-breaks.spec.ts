import view from './fixtures/view.json';
import { commandFor, shouldReplay, type CaseCompletion, type Expectation, type Extract } from './break-kinds';
import { detectBreaks, planBreaks, UNKNOWN_DESTINATION } from './detect-breaks';

const input = (extracts: boolean) => ({
  now: view.now,
  rules: view.rules,
  expectations: view.expectations as Expectation[],
  completions: view.completions as CaseCompletion[],
  extracts: new Map<string, Extract>(extracts ? [['core-rest', view.extract as Extract]] : []),
});

describe('detectBreaks', () => {
  it('finds exactly one break of each kind in the fixture view, with its context', () => {
    const { breaks } = detectBreaks(input(true));
    expect(breaks.map((b) => b.key).sort()).toEqual([
      'APPLIED_MISSING_IN_CORE:core-rest:k-applied-missing',
      'COMPLETED_WITHOUT_WRITEBACKS:c6',
      'IN_CORE_NOT_REQUESTED:core-rest:k-stranger',
      'REQUESTED_NO_RESULT:core-rest:k-no-result',
      'UNKNOWN_PAST_TTL:core-rest:k-unknown',
    ]);
    const completed = breaks.find((b) => b.kind === 'COMPLETED_WITHOUT_WRITEBACKS')!;
    expect(completed.context).toMatchObject({ missing: ['k-never'], claimedApplied: ['k-applied-ok', 'k-never'] });
    expect(breaks.find((b) => b.kind === 'IN_CORE_NOT_REQUESTED')!.context).toMatchObject({ providerRef: 'pay_2', amountMinor: 999 });
  });

  it('names the owning protocol from the extract that found a posting nobody requested', () => {
    const soapExtract: Extract = { ...(view.extract as Extract), destination: 'core-soap', protocol: 'SOAP' };
    const { breaks } = detectBreaks({ ...input(false), extracts: new Map([['core-soap', soapExtract]]) });
    const strangers = breaks.filter((b) => b.kind === 'IN_CORE_NOT_REQUESTED');
    // Every posting on core-soap is a stranger there (all expectations are core-rest's), and SOAP owns each.
    expect(strangers.map((b) => [b.destination, b.protocol, b.idempotencyKey])).toEqual([
      ['core-soap', 'SOAP', 'k-applied-ok'],
      ['core-soap', 'SOAP', 'k-stranger'],
    ]);
  });

  it('ties a completed case to the destination of a missing writeback it saw, or says it knows none', () => {
    const seen = detectBreaks(input(true)).breaks.find((b) => b.kind === 'COMPLETED_WITHOUT_WRITEBACKS')!;
    expect(seen).toMatchObject({ destination: UNKNOWN_DESTINATION, protocol: null, caseId: 'c6', idempotencyKey: 'k-never' });
    const requested: Expectation = { ...(view.expectations[0] as Expectation), idempotencyKey: 'k-never', protocol: 'SOAP', destination: 'core-soap', caseId: 'c6', status: 'FAILED_PERMANENT', resultAt: 1735699910000 };
    const withRequest = detectBreaks({ ...input(true), expectations: [...input(true).expectations, requested] });
    expect(withRequest.breaks.find((b) => b.kind === 'COMPLETED_WITHOUT_WRITEBACKS')).toMatchObject({
      destination: 'core-soap',
      protocol: 'SOAP',
      idempotencyKey: 'k-never',
      caseId: 'c6',
    });
  });

  it('judges nothing against a core whose extract failed, and resolves none of its breaks', () => {
    const detection = detectBreaks(input(false));
    expect(detection.breaks.some((b) => b.kind === 'APPLIED_MISSING_IN_CORE' || b.kind === 'IN_CORE_NOT_REQUESTED')).toBe(false);
    const plan = planBreaks(
      [{ id: '1', key: 'IN_CORE_NOT_REQUESTED:core-rest:k-stranger', kind: 'IN_CORE_NOT_REQUESTED', destination: 'core-rest' }],
      detection,
    );
    expect(plan.toResolve).toEqual([]);
  });

  it('opens a break once and resolves it when its scope was judged and it is gone', () => {
    const detection = detectBreaks(input(true));
    const open = [
      { id: '1', key: 'REQUESTED_NO_RESULT:core-rest:k-no-result', kind: 'REQUESTED_NO_RESULT' as const, destination: 'core-rest' },
      { id: '2', key: 'UNKNOWN_PAST_TTL:core-rest:k-gone', kind: 'UNKNOWN_PAST_TTL' as const, destination: 'core-rest' },
    ];
    const plan = planBreaks(open, detection);
    expect(plan.toOpen.map((b) => b.kind)).not.toContain('REQUESTED_NO_RESULT');
    expect(plan.toResolve.map((b) => b.id)).toEqual(['2']);
  });
});

describe('commands per break kind', () => {
  it('resolves what a lookup can settle and flags what a machine must not fix', () => {
    expect(commandFor('REQUESTED_NO_RESULT')).toBe('RESOLVE');
    expect(commandFor('UNKNOWN_PAST_TTL')).toBe('RESOLVE');
    expect(commandFor('APPLIED_MISSING_IN_CORE')).toBe('FLAG');
    expect(commandFor('IN_CORE_NOT_REQUESTED')).toBe('FLAG');
    expect(commandFor('COMPLETED_WITHOUT_WRITEBACKS')).toBe('FLAG');
  });

  it('replays a RESOLVE break once, after the delay, never a FLAG one', () => {
    expect(shouldReplay('UNKNOWN_PAST_TTL', 0, 999, 1000, false)).toBe(false);
    expect(shouldReplay('UNKNOWN_PAST_TTL', 0, 1000, 1000, false)).toBe(true);
    expect(shouldReplay('UNKNOWN_PAST_TTL', 0, 5000, 1000, true)).toBe(false);
    expect(shouldReplay('IN_CORE_NOT_REQUESTED', 0, 5000, 1000, false)).toBe(false);
  });
});
