import view from './fixtures/view.json';
import {
  BREAK_KINDS,
  breakScope,
  commandFor,
  followUpFor,
  postingsToReverse,
  type CaseCompletion,
  type Expectation,
  type Extract,
  type Posting,
} from './break-kinds';
import { detectBreaks, planBreaks, UNKNOWN_DESTINATION } from './detect-breaks';

const input = (extracts: boolean) => ({
  now: view.now,
  rules: view.rules,
  expectations: view.expectations as Expectation[],
  completions: view.completions as CaseCompletion[],
  extracts: new Map<string, Extract>(extracts ? [['core-rest', view.extract as Extract]] : []),
});

describe('detectBreaks', () => {
  it('finds every kind of break in the fixture view, each once (a shared reference once per key), with its context', () => {
    const { breaks } = detectBreaks(input(true));
    expect(breaks.map((b) => b.key).sort()).toEqual([
      'APPLIED_MISSING_IN_CORE:core-rest:k-applied-missing',
      'COMPLETED_WITHOUT_WRITEBACKS:c6',
      'FAILED_BUT_POSTED:core-rest:k-false-failure',
      'IN_CORE_NOT_REQUESTED:core-rest:k-stranger',
      'POSTED_TWICE:core-rest:k-twice',
      'REQUESTED_NO_RESULT:core-rest:k-no-result',
      'SHARED_PROVIDER_REF:core-rest:pay_5:k-shared-a',
      'SHARED_PROVIDER_REF:core-rest:pay_5:k-shared-b',
      'UNKNOWN_PAST_TTL:core-rest:k-unknown',
    ]);
    expect(new Set(breaks.map((b) => b.kind))).toEqual(new Set(BREAK_KINDS));
    const completed = breaks.find((b) => b.kind === 'COMPLETED_WITHOUT_WRITEBACKS')!;
    expect(completed.context).toMatchObject({ missing: ['k-never'], claimedApplied: ['k-applied-ok', 'k-never'] });
    expect(breaks.find((b) => b.kind === 'IN_CORE_NOT_REQUESTED')!.context).toMatchObject({ providerRef: 'pay_2', amountMinor: 999 });
  });

  it('names the owning protocol from the extract that found a posting nobody requested', () => {
    const soapExtract: Extract = { ...(view.extract as Extract), destination: 'core-soap', protocol: 'SOAP' };
    const { breaks } = detectBreaks({ ...input(false), extracts: new Map([['core-soap', soapExtract]]) });
    const strangers = breaks.filter((b) => b.kind === 'IN_CORE_NOT_REQUESTED');
    // Every settled posting on core-soap is a stranger there (all expectations are core-rest's), and SOAP owns each.
    expect(strangers.map((b) => [b.destination, b.protocol, b.idempotencyKey])).toEqual([
      ['core-soap', 'SOAP', 'k-applied-ok'],
      ['core-soap', 'SOAP', 'k-stranger'],
      ['core-soap', 'SOAP', 'k-false-failure'],
      ['core-soap', 'SOAP', 'k-shared-a'],
      ['core-soap', 'SOAP', 'k-twice'],
      ['core-soap', 'SOAP', 'k-twice'],
    ]);
    // Keys nobody requested on core-soap are neither a false failure nor a double posting of ours there.
    expect(breaks.filter((b) => b.destination === 'core-soap' && b.kind !== 'IN_CORE_NOT_REQUESTED')).toEqual([]);
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
    // Without the extract only our own results can show something: two keys claiming one reference.
    const perDestination = detection.breaks.filter((b) => breakScope(b.kind, b.destination) !== b.kind);
    expect(perDestination.map((b) => b.kind)).toEqual(['SHARED_PROVIDER_REF', 'SHARED_PROVIDER_REF']);
    const kinds = ['IN_CORE_NOT_REQUESTED', 'FAILED_BUT_POSTED', 'POSTED_TWICE', 'SHARED_PROVIDER_REF'] as const;
    const open = kinds.map((kind, i) => ({ id: String(i), key: `${kind}:core-rest:gone`, kind, destination: 'core-rest' }));
    expect(planBreaks(open, detection).toResolve).toEqual([]);
    // With the extract read, the same scopes are judged and the breaks no longer found resolve.
    expect(planBreaks(open, detectBreaks(input(true))).toResolve.map((b) => b.kind)).toEqual([...kinds]);
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
    expect(Object.fromEntries(BREAK_KINDS.map((k) => [k, commandFor(k)]))).toEqual({
      REQUESTED_NO_RESULT: 'RESOLVE',
      UNKNOWN_PAST_TTL: 'RESOLVE',
      APPLIED_MISSING_IN_CORE: 'FLAG',
      IN_CORE_NOT_REQUESTED: 'FLAG',
      COMPLETED_WITHOUT_WRITEBACKS: 'FLAG',
      // The owner asks the destination; only its confirmation settles the failure.
      FAILED_BUT_POSTED: 'RESOLVE',
      SHARED_PROVIDER_REF: 'FLAG',
      POSTED_TWICE: 'FLAG',
    });
  });

  const rules = { replayAfterMs: 1000, escalateAfterMs: 100 };
  it('replays a lookup break once, after the delay, never a FLAG one', () => {
    expect(followUpFor('UNKNOWN_PAST_TTL', 0, 999, rules, false)).toBeNull();
    expect(followUpFor('UNKNOWN_PAST_TTL', 0, 1000, rules, false)).toBe('REPLAY');
    expect(followUpFor('REQUESTED_NO_RESULT', 0, 1000, rules, false)).toBe('REPLAY');
    expect(followUpFor('UNKNOWN_PAST_TTL', 0, 5000, rules, true)).toBeNull();
    const flagged = BREAK_KINDS.filter((k) => commandFor(k) === 'FLAG');
    expect(flagged.map((k) => followUpFor(k, 0, 5000, rules, false))).toEqual(flagged.map(() => null));
  });

  it('never replays a false failure: one its owner did not settle within the escalation delay goes to a human, once', () => {
    expect(followUpFor('FAILED_BUT_POSTED', 0, 99, rules, false)).toBeNull();
    expect(followUpFor('FAILED_BUT_POSTED', 0, 100, rules, false)).toBe('FLAG');
    expect(followUpFor('FAILED_BUT_POSTED', 0, 5000, rules, true)).toBeNull();
  });

  it('judges the extract kinds per destination and the topic kinds everywhere at once', () => {
    expect(BREAK_KINDS.map((k) => breakScope(k, 'core-x'))).toEqual([
      'REQUESTED_NO_RESULT',
      'UNKNOWN_PAST_TTL',
      'APPLIED_MISSING_IN_CORE:core-x',
      'IN_CORE_NOT_REQUESTED:core-x',
      'COMPLETED_WITHOUT_WRITEBACKS',
      'FAILED_BUT_POSTED:core-x',
      'SHARED_PROVIDER_REF:core-x',
      'POSTED_TWICE:core-x',
    ]);
  });
});

/** One destination's `expectations` judged against an extract listing `postings`, at the fixture's now. */
const judge = (expectations: Expectation[], postings: Posting[]) =>
  detectBreaks({
    now: view.now,
    rules: view.rules,
    expectations,
    completions: [],
    extracts: new Map([['core-rest', { ...(view.extract as Extract), postings }]]),
  }).breaks;
const ago = (ms: number) => view.now - ms;
const expectation = (over: Partial<Expectation>): Expectation => ({ ...(view.expectations[4] as Expectation), ...over });
const posting = (over: Partial<Posting>): Posting => ({
  idempotencyKey: 'k',
  providerRef: 'ref',
  amountMinor: 100,
  currency: 'GBP',
  postedAt: ago(60_000),
  ...over,
});

describe('FAILED_BUT_POSTED (a false failure)', () => {
  const failed = expectation({
    idempotencyKey: 'k',
    status: 'FAILED_PERMANENT',
    errorClass: 'VALIDATION',
    providerRef: null,
    appliedAt: null,
    resultAt: ago(60_000),
  });

  it('shows both sides: our status and error class, the core posting and its amount', () => {
    const breaks = judge([failed], [posting({ providerRef: 'pay_ff', amountMinor: 2500 })]);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({
      kind: 'FAILED_BUT_POSTED',
      idempotencyKey: 'k',
      caseId: failed.caseId,
      protocol: 'REST',
      context: {
        ours: { status: 'FAILED_PERMANENT', errorClass: 'VALIDATION', failedAt: new Date(ago(60_000)).toISOString() },
        core: { providerRef: 'pay_ff', amountMinor: 2500, currency: 'GBP' },
        providerRef: 'pay_ff',
        amountMinor: 2500,
      },
    });
    expect(breaks[0]!.context['reason']).toContain('do not retry it');
  });

  it('is not judged while the failure or the posting is in flight, nor once a later result says APPLIED', () => {
    const young = ago(view.rules.graceMs - 1);
    expect(judge([{ ...failed, resultAt: young }], [posting({})])).toEqual([]);
    expect(judge([failed], [posting({ postedAt: young })])).toEqual([]);
    const applied = { ...failed, status: 'APPLIED' as const, providerRef: 'ref', appliedAt: ago(30_000) };
    expect(judge([applied], [posting({})])).toEqual([]);
    // A failure the core does not show posted is just a failure.
    expect(judge([failed], [posting({ idempotencyKey: 'other' })]).map((b) => b.kind)).toEqual(['IN_CORE_NOT_REQUESTED']);
  });
});

describe('POSTED_TWICE (a record posted twice by the core)', () => {
  const applied = expectation({ idempotencyKey: 'k', providerRef: 'pay_b', appliedAt: ago(60_000), resultAt: ago(60_000) });
  const first = posting({ providerRef: 'pay_a', postedAt: ago(90_000), amountMinor: 1000 });
  const second = posting({ providerRef: 'pay_b', postedAt: ago(80_000), amountMinor: 1000 });
  const third = posting({ providerRef: 'pay_c', postedAt: ago(70_000), amountMinor: 1000 });

  it('names every posting, keeps the one our result reported and asks to reverse the others', () => {
    const breaks = judge([applied], [third, first, second]);
    expect(breaks.map((b) => b.key)).toEqual(['POSTED_TWICE:core-rest:k']);
    const { context } = breaks[0]!;
    expect(context).toMatchObject({
      postings: [{ providerRef: 'pay_a' }, { providerRef: 'pay_b' }, { providerRef: 'pay_c' }],
      keep: { providerRef: 'pay_b', why: 'the posting writeback.result reported' },
      reverse: [
        { providerRef: 'pay_a', amountMinor: 1000 },
        { providerRef: 'pay_c', amountMinor: 1000 },
      ],
      reversal: 'reverse pay_a (1000 minor units GBP), pay_c (1000 minor units GBP) at core-rest; keep pay_b',
    });
    // The exception queue shows the reason: it names the reversal.
    expect(context['reason']).toBe(
      'core-rest lists 3 postings under key k (pay_a, pay_b, pay_c), posted 3 times: ' + String(context['reversal']),
    );
    // What the alert and the gauge read back from storage.
    const stored = JSON.parse(JSON.stringify(context)) as Record<string, unknown>;
    expect(postingsToReverse(stored).map((p) => p.providerRef)).toEqual(['pay_a', 'pay_c']);
  });

  it('keeps the first posted when no result named one (an outcome still unknown)', () => {
    const unknown = { ...applied, status: 'UNKNOWN' as const, providerRef: null, appliedAt: null };
    const found = judge([unknown], [second, first]).find((b) => b.kind === 'POSTED_TWICE');
    expect(found?.context).toMatchObject({ keep: { providerRef: 'pay_a' }, reverse: [{ providerRef: 'pay_b' }] });
  });

  it('is no double posting when the extract lists one posting twice', () => {
    expect(judge([applied], [second, { ...second }])).toEqual([]);
  });
});

describe('SHARED_PROVIDER_REF (one reference, two writebacks)', () => {
  const a = expectation({ idempotencyKey: 'k-a', caseId: 'case-a', providerRef: 'pay_x' });
  const b = expectation({ idempotencyKey: 'k-b', caseId: 'case-b', providerRef: 'pay_x' });

  it('flags each case whose result claims a reference another key holds, naming both keys', () => {
    const breaks = judge([a, b], [posting({ idempotencyKey: 'k-a', providerRef: 'pay_x' })]);
    expect(breaks.map((x) => [x.key, x.caseId, x.context['sharedWith']])).toEqual([
      ['SHARED_PROVIDER_REF:core-rest:pay_x:k-a', 'case-a', ['k-b']],
      ['SHARED_PROVIDER_REF:core-rest:pay_x:k-b', 'case-b', ['k-a']],
    ]);
    expect(breaks[1]!.context['keys']).toEqual([
      { idempotencyKey: 'k-a', caseId: 'case-a', status: 'APPLIED', requested: true, seenIn: ['extract', 'writeback.result'], amountMinor: 100, currency: 'GBP' },
      { idempotencyKey: 'k-b', caseId: 'case-b', status: 'APPLIED', requested: true, seenIn: ['writeback.result'], amountMinor: null, currency: null },
    ]);
  });

  it('finds a reference the core reused in its extract even when our results carry none', () => {
    const noRef = (e: Expectation): Expectation => ({ ...e, providerRef: null, status: 'UNKNOWN', appliedAt: null });
    const listed = [posting({ idempotencyKey: 'k-a', providerRef: 'pay_y' }), posting({ idempotencyKey: 'k-b', providerRef: 'pay_y' })];
    const shared = judge([noRef(a), noRef(b)], listed).filter((x) => x.kind === 'SHARED_PROVIDER_REF');
    expect(shared.map((x) => x.key)).toEqual(['SHARED_PROVIDER_REF:core-rest:pay_y:k-a', 'SHARED_PROVIDER_REF:core-rest:pay_y:k-b']);
  });

  it('opens none for a reference only strangers share, nor for a key holding its own reference', () => {
    const strangers = [posting({ idempotencyKey: 's1', providerRef: 'r' }), posting({ idempotencyKey: 's2', providerRef: 'r' })];
    expect(judge([], strangers).map((x) => x.kind)).toEqual(['IN_CORE_NOT_REQUESTED', 'IN_CORE_NOT_REQUESTED']);
    expect(judge([a], [posting({ idempotencyKey: 'k-a', providerRef: 'pay_x' })])).toEqual([]);
  });
});
