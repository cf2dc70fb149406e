import { judgeReceipt, type BatchMember } from './sftp-receipt';

const members: BatchMember[] = [
  { idempotencyKey: 'k-1', line: 2 },
  { idempotencyKey: 'k-2', line: 3 },
];

const receipt = (body: object): Buffer => Buffer.from(JSON.stringify(body));
const processed = (records: object[], status = 'PROCESSED'): Buffer =>
  receipt({ batchId: 'B-1', status, records });
const posted = (idempotencyKey: string, providerRef: string, line: number) => ({
  idempotencyKey,
  line,
  outcome: 'POSTED',
  providerRef,
});
const hardFail = (idempotencyKey: string, line: number) => ({
  idempotencyKey,
  line,
  outcome: 'HARD_FAIL',
  code: 'ACCOUNT_CLOSED',
  message: 'account closed',
});

describe('judgeReceipt: what a batch receipt may be believed about', () => {
  it('answers each record of the batch from its own receipt line', () => {
    const judged = judgeReceipt(
      processed([posted('k-1', 'pay_1', 2), { ...hardFail('k-2', 3) }]),
      'B-1',
      members,
    );
    expect(Object.fromEntries(judged.verdicts)).toEqual({
      'k-1': { kind: 'posted', providerRef: 'pay_1', replayed: false },
      'k-2': { kind: 'hard_fail', code: 'ACCOUNT_CLOSED', message: 'account closed' },
    });
    expect(judged.foreign.count).toBe(0);
  });

  it('refuses records for keys not in the batch, whatever they claim, and answers the batch’s own records alone', () => {
    const judged = judgeReceipt(
      processed([
        posted('elsewhere-1', 'pay_90000001', 4),
        posted('k-1', 'pay_1', 2),
        hardFail('elsewhere-2', 5),
        posted('k-2', 'pay_2', 3),
      ]),
      'B-1',
      members,
    );
    expect([...judged.verdicts.keys()]).toEqual(['k-1', 'k-2']);
    expect(judged.verdicts.get('k-2')).toEqual({ kind: 'posted', providerRef: 'pay_2', replayed: false });
    expect(judged.foreign).toEqual({ count: 2, sample: ['elsewhere-1', 'elsewhere-2'] });
  });

  it.each([
    ['POSTED then HARD_FAIL', [posted('k-1', 'pay_1', 2), hardFail('k-1', 2)]],
    ['HARD_FAIL then POSTED', [hardFail('k-1', 2), posted('k-1', 'pay_1', 2)]],
    ['POSTED under two references', [posted('k-1', 'pay_1', 2), posted('k-1', 'pay_90000007', 2)]],
    ['POSTED without a providerRef', [{ idempotencyKey: 'k-1', line: 2, outcome: 'POSTED' }]],
    ['POSTED with an implausible providerRef', [posted('k-1', 'x'.repeat(500), 2)]],
    ['POSTED at another record’s line', [posted('k-1', 'pay_1', 3)]],
    ['an outcome nobody defined', [{ idempotencyKey: 'k-1', line: 2, outcome: 'MAYBE' }]],
  ])('takes %s as an unknown outcome, never as a failure', (_case, records) => {
    const judged = judgeReceipt(processed([...records, posted('k-2', 'pay_2', 3)]), 'B-1', members);
    expect(judged.verdicts.get('k-1')).toMatchObject({ kind: 'unknown', doubt: 'RECEIPT_CONTRADICTION' });
    expect(judged.verdicts.get('k-2')).toMatchObject({ kind: 'posted', providerRef: 'pay_2' });
    expect(judged.contradictions.map((c) => c.idempotencyKey)).toEqual(['k-1']);
  });

  it('believes a record repeated with the same meaning (DUPLICATE under the reference it was POSTED as)', () => {
    const judged = judgeReceipt(
      processed([
        posted('k-1', 'pay_1', 2),
        { ...posted('k-1', 'pay_1', 2), outcome: 'DUPLICATE' },
        posted('k-2', 'pay_2', 3),
      ]),
      'B-1',
      members,
    );
    expect(judged.verdicts.get('k-1')).toEqual({ kind: 'posted', providerRef: 'pay_1', replayed: false });
  });

  it('a record a PARTIAL receipt leaves out was not reached; one a PROCESSED receipt leaves out is unknown', () => {
    expect(
      judgeReceipt(processed([posted('k-1', 'pay_1', 2)], 'PARTIAL'), 'B-1', members).verdicts.get('k-2'),
    ).toEqual({ kind: 'not_reached' });
    expect(
      judgeReceipt(processed([posted('k-1', 'pay_1', 2)]), 'B-1', members).verdicts.get('k-2'),
    ).toMatchObject({
      kind: 'unknown',
      doubt: 'RECEIPT_CONTRADICTION',
      reason: expect.stringContaining('does not mention'),
    });
  });

  it('a REJECTED receipt means nothing posted, unless it lists records', () => {
    const rejected = judgeReceipt(
      receipt({ batchId: 'B-1', status: 'REJECTED', reason: 'manifest.sha256: mismatch', records: [] }),
      'B-1',
      members,
    );
    expect(rejected.verdicts.get('k-1')).toEqual({ kind: 'rejected', reason: 'manifest.sha256: mismatch' });
    const contradictory = judgeReceipt(
      receipt({ batchId: 'B-1', status: 'REJECTED', records: [posted('k-1', 'pay_1', 2)] }),
      'B-1',
      members,
    );
    expect(contradictory.verdicts.get('k-1')).toMatchObject({
      kind: 'unknown',
      doubt: 'RECEIPT_CONTRADICTION',
    });
  });

  it('a receipt naming another batch answers nothing in this one', () => {
    const judged = judgeReceipt(
      receipt({ batchId: 'B-other', status: 'PROCESSED', records: [posted('k-1', 'pay_1', 2)] }),
      'B-1',
      members,
    );
    expect(judged.verdicts.get('k-1')).toMatchObject({
      kind: 'unknown',
      doubt: 'RECEIPT_NOT_OURS',
      reason: 'receipt for batch B-1 names batch "B-other"',
    });
  });

  it.each([
    ['cut off halfway', Buffer.from('{"batchId":"B-1","status":"PROC')],
    ['not a receipt', Buffer.from('{"hello":"world"}')],
    ['not text', Buffer.from([0xff, 0x00, 0x13])],
  ])('a receipt %s is unreadable: every record unknown', (_case, data) => {
    const judged = judgeReceipt(data, 'B-1', members);
    expect(judged.verdicts.get('k-1')).toMatchObject({ kind: 'unknown', doubt: 'RECEIPT_UNREADABLE' });
    expect(judged.verdicts.get('k-2')).toMatchObject({ kind: 'unknown', doubt: 'RECEIPT_UNREADABLE' });
  });

  it('bounds what it takes from the core: codes become short identifiers, messages are cut and lose control characters', () => {
    const judged = judgeReceipt(
      processed([
        {
          idempotencyKey: 'k-1',
          line: 2,
          outcome: 'SOFT_FAIL',
          code: `LOCKED ${'Z'.repeat(10_000)}`,
          message: `locked\u0000\n${'m'.repeat(10_000)}`,
        },
        posted('k-2', 'pay_2', 3),
      ]),
      'B-1',
      members,
    );
    const verdict = judged.verdicts.get('k-1');
    expect(verdict).toMatchObject({ kind: 'soft_fail', code: expect.stringMatching(/^LOCKED_Z+$/) });
    if (verdict?.kind !== 'soft_fail') throw new Error('expected a soft failure');
    expect(verdict.code.length).toBe(64);
    expect(verdict.message.startsWith('locked  mmm')).toBe(true);
    expect(verdict.message.length).toBeLessThan(600);
    expect(verdict.message).toContain('(10008 characters)');
  });
});
