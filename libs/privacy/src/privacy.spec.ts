import {
  containsPan,
  findContactPoints,
  findPans,
  luhnValid,
  maskContactPoints,
  maskPans,
  redactDeep,
} from './index';

describe('card numbers', () => {
  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it.each([
    ['4111111111111111', true],
    ['card 4111 1111 1111 1111 on file', true],
    ['5500-0000-0000-0004', true],
    ['378282246310005', true], // 15-digit Amex
    ['6011000990139424', true],
    ['4111111111111112', false], // fails Luhn
    ['411111111111', false], // 12 digits
    ['INV-2026-000123', false],
    ['order 12345678 amount 100.00', false],
  ])('finds a PAN in %p: %p', (text, expected) => {
    expect(containsPan(text)).toBe(expected);
  });

  it('reads whole digit groups: a card followed by an expiry group is found, a window of a long id is not', () => {
    expect(maskPans('4111 1111 1111 1111 2027')).toBe('**** **** **** 1111 2027');
    expect(containsPan('99994111111111111111')).toBe(false);
  });

  it('masks all but the last four digits, keeping the shape', () => {
    expect(maskPans('pay 4111 1111 1111 1111 now')).toBe('pay **** **** **** 1111 now');
    expect(maskPans('no card here 12345')).toBe('no card here 12345');
    expect(findPans(maskPans('4111111111111111 and 5500000000000004'))).toEqual([]);
  });
});

describe('contact points', () => {
  it('finds e-mail addresses and phone numbers, not ids or amounts', () => {
    const kinds = (t: string) => findContactPoints(t).map((m) => m.kind);
    expect(kinds('write to jane.doe@example.com')).toEqual(['email']);
    expect(kinds('call +44 7700 900123')).toEqual(['phone']);
    expect(kinds('call (415) 555-2671')).toEqual(['phone']);
    expect(kinds('invoice 12345678, amount 1200.50, on 2026-12-06')).toEqual([]);
  });

  it('masks them', () => {
    expect(maskContactPoints('jane.doe@example.com or +44 7700 900123')).toBe(
      'j***@e***.com or +** **** ****23',
    );
  });
});

describe('redactDeep', () => {
  it('masks every string at any depth and bounds the structure', () => {
    const out = redactDeep({ a: ['card 4111111111111111'], b: { c: 'mail x@y.io' }, n: 3 }) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(out)).not.toContain('4111111111111111');
    expect(JSON.stringify(out)).not.toContain('x@y.io');
    expect(out['n']).toBe(3);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 20; i++) at = (at['x'] = {}) as Record<string, unknown>;
    expect(JSON.stringify(redactDeep(deep))).toContain('[too deep]');
  });
});

describe('our own ids are not personal data', () => {
  it('digits inside hex, UUID and trace-id tokens are not card numbers', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const hexRuns = '00-4111111111111111ab-01 key_4111111111111111';
    expect(findPans(traceparent)).toEqual([]);
    expect(findPans(hexRuns)).toEqual([]);
    expect(findPans('1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b')).toEqual([]);
    // UUIDs seen in a run whose last groups are all digits and pass Luhn together (9219 291841117099).
    expect(luhnValid('9219291841117099')).toBe(true);
    expect(findPans('case 1325efd4-dd19-4948-9219-291841117099 done')).toEqual([]);
    expect(findPans('e2342184-79f5-4adb-8957-510526214139')).toEqual([]);
    // A traceparent whose span id is 16 decimal digits passing Luhn (one span in a few thousand).
    expect(luhnValid('9258991394411771')).toBe(true);
    expect(findPans('00-4bf92f3577b34da6a3ce929d0e0e4736-9258991394411771-01')).toEqual([]);
    expect(findPans('span 9258991394411771 ok')).toHaveLength(1);
    // A card number beside a UUID is still found.
    expect(findPans('1325efd4-dd19-4948-9219-291841117099 4111 1111 1111 1111')).toHaveLength(1);
    expect(findPans('card 4111 1111 1111 1111.')).toHaveLength(1);
    expect(findPans('pan=4111111111111111;')).toHaveLength(1);
  });

  it('a mapping version is not an e-mail address', () => {
    expect(findContactPoints('billing.payment_failed@v2.1')).toEqual([]);
    expect(findContactPoints('mail jane.doe@example.co.uk now')).toEqual([
      { kind: 'email', start: 5, end: 27 },
    ]);
  });
});

describe('numbers that are not phone numbers', () => {
  it('ms timestamps, bare ids, dates and card numbers are not phones; written phones still are', () => {
    expect(
      findContactPoints('at 1765000000123 offset 12345678901 amount 123456789012 x 01 1765000000123'),
    ).toEqual([]);
    expect(findContactPoints('2026-12-06 10:01:24')).toEqual([]);
    expect(findContactPoints('card 4111 1111 1111 1111')).toEqual([]);
    expect(findContactPoints('call 020 7946 0958').map((c) => c.kind)).toEqual(['phone']);
    expect(findContactPoints('call 07700900123').map((c) => c.kind)).toEqual(['phone']);
    expect(findContactPoints('call +447700900123').map((c) => c.kind)).toEqual(['phone']);
  });
});

describe('ids from a real run are not personal data', () => {
  it('ms timestamps are not card numbers, UUID groups are not phone numbers', () => {
    expect(findPans('{"level":30,"time":1796551527205,"service":"reconciler"}')).toEqual([]);
    expect(findContactPoints('"eventId": "7d67d66c-5417-4791-9085-f5d11cf25a0b"')).toEqual([]);
    expect(findPans('old visa 4222222222222')).toHaveLength(1);
    // A pid and two ms timestamps in a batch id: long groups joined by hyphens are not a printed card.
    expect(findPans('wb-sftp-it-7380-1796589378810-1796589379153-d470c1a1')).toEqual([]);
    expect(findPans('3782-822463-10005')).toHaveLength(1);
    // An E.164 phone number of card length that passes Luhn is written with its +.
    expect(luhnValid('4477009001237')).toBe(true);
    expect(findPans('{"phone":"+4477009001237"}')).toEqual([]);
    expect(findPans('card 4477009001237')).toHaveLength(1);
  });
});
