import { parsePostingReport } from './sftp-posting-report';

const HEADER = 'idempotency_key,provider_ref,amount_minor,currency,posted_at,batch_id,line';

describe('parsePostingReport: the core’s own record of postings', () => {
  it('lists every posting per key in report order, a key posted twice under both references', () => {
    const report = parsePostingReport(
      [
        HEADER,
        'k-1,pay_00000001,12550,GBP,2025-03-01T10:00:00.000Z,B-1,2',
        '"k,2",pay_00000002,700,GBP,2025-03-01T10:00:00.000Z,B-1,3',
        'k-1,pay_00000003,12550,GBP,2025-03-01T10:00:01.000Z,B-1,2',
        '',
      ].join('\n'),
    );
    expect(report).toEqual({
      ok: true,
      postings: new Map([
        [
          'k-1',
          [
            { providerRef: 'pay_00000001', batchId: 'B-1' },
            { providerRef: 'pay_00000003', batchId: 'B-1' },
          ],
        ],
        ['k,2', [{ providerRef: 'pay_00000002', batchId: 'B-1' }]],
      ]),
    });
  });

  it.each([
    ['without the key and reference columns', 'provider,key\npay_1,k-1\n', /header must name/],
    [
      'with an unterminated quote',
      `${HEADER}\n"k-1,pay_1,1,GBP,2025-03-01T10:00:00Z,B-1,2\n`,
      /line 2: must have 7 fields/,
    ],
    ['with a line short of fields', `${HEADER}\nk-1,pay_1\n`, /line 2: must have 7 fields/],
    ['with an empty reference', `${HEADER}\nk-1,,1,GBP,2025-03-01T10:00:00Z,B-1,2\n`, /line 2: provider_ref/],
  ])('refuses a whole report %s (it cannot be trusted in part)', (_case, text, reason) => {
    const report = parsePostingReport(text);
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.reason).toMatch(reason);
  });
});
