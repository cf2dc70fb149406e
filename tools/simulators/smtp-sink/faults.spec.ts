import { FaultBook, parseFaultShorthand } from './faults';

describe('smtp-sink faults', () => {
  it('reads the shorthand: standing, counted and rate rules', () => {
    expect(parseFaultShorthand('reject_recipient, temp_fail*2,drop_after_data@0.5')).toEqual([
      { mode: 'reject_recipient' },
      { mode: 'temp_fail', count: 2 },
      { mode: 'drop_after_data', rate: 0.5 },
    ]);
    expect(() => parseFaultShorthand('bounce')).toThrow(/fault "bounce"/);
  });

  it('fires a matched rule only for its recipient or domain, case-insensitively, and consumes a counted one', () => {
    const book = new FaultBook(() => 0);
    book.add(
      { mode: 'reject_recipient', count: 1, match: { to: 'Blocked@Example.com' } },
      { mode: 'temp_fail', match: { domain: 'greylist.example' } },
    );

    expect(book.take('reject_recipient', { recipients: ['other@example.com'] })).toBeUndefined();
    expect(book.take('reject_recipient', { recipients: ['blocked@example.com'] })).toBeDefined();
    expect(book.take('reject_recipient', { recipients: ['blocked@example.com'] })).toBeUndefined();

    expect(book.take('temp_fail', { recipients: ['a@example.com', 'b@GREYLIST.example'] })).toBeDefined();
    expect(book.take('temp_fail', { recipients: ['a@example.com'] })).toBeUndefined();
    // standing: it stays
    expect(book.take('temp_fail', { recipients: ['c@greylist.example'] })).toBeDefined();
  });
});
