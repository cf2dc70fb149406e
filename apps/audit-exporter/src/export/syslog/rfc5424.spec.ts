import { toOcsf, type ExportRecord } from '../ocsf';
import { asciiJson, formatRfc5424, headerField, octetFrame, readOctetFrames, sdValue } from './rfc5424';

const header = { hostname: 'exporter-0', appName: 'closeout-audit', procId: '42', sdId: 'closeout@32473' };

function record(action: string, outcome: 'SUCCESS' | 'DENIED' | 'FAILURE', reason = 'ok'): ExportRecord {
  return {
    seq: 12,
    eventId: 'e-"1"]',
    occurredAt: new Date(0),
    hash: 'h',
    event: {
      eventId: 'e-"1"]',
      occurredAt: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
      correlationId: 'c',
      actor: { type: 'CUSTOMER', id: 'cu' },
      action,
      outcome,
      service: 'mini-app-backend',
      host: 'pod',
      reason,
      caseId: 'case-9',
    },
  };
}

describe('RFC 5424 message', () => {
  it('has PRI from facility 13 (log audit) and severity, version 1, UTC time with ms, MSGID and one SD element', () => {
    const msg = formatRfc5424(toOcsf(record('miniapp.identity-verified', 'SUCCESS')), header);
    const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[.*?[^\\]\]) (\{.*\})$/.exec(msg);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(13 * 8 + 6);
    expect(m![2]).toBe('2025-01-02T03:04:05.006Z');
    expect(m!.slice(3, 7)).toEqual(['exporter-0', 'closeout-audit', '42', 'ocsf-3002']);
    expect(m![7]).toBe('[closeout@32473 eventId="e-\\"1\\"\\]" seq="12" typeUid="300201" caseId="case-9"]');
    expect(JSON.parse(m![8]!).metadata.uid).toBe('e-"1"]');
  });

  it('raises severity for a denial (warning) and a lock (error)', () => {
    expect(formatRfc5424(toOcsf(record('miniapp.identity-failed', 'DENIED')), header)).toMatch(/^<108>1 /);
    expect(formatRfc5424(toOcsf(record('identity.locked', 'FAILURE')), header)).toMatch(/^<107>1 /);
  });

  it('keeps MSG plain US-ASCII (non-ASCII escaped in the JSON) and header fields printable', () => {
    const msg = formatRfc5424(toOcsf(record('consent.revoked', 'SUCCESS', 'révoqué ✓')), header);
    expect(/^[\x20-\x7e]*$/.test(msg)).toBe(true);
    expect(JSON.parse(asciiJson({ r: 'révoqué ✓' }))).toEqual({ r: 'révoqué ✓' });
    expect(headerField('a b\u00e9c', 48)).toBe('abc');
    expect(headerField('', 48)).toBe('-');
    expect(headerField('x'.repeat(60), 48)).toHaveLength(48);
    expect(sdValue('a\\b"c]d')).toBe('a\\\\b\\"c\\]d');
  });
});

describe('RFC 5425 octet-counting framing', () => {
  it('prefixes the length in octets (not characters) and a space', () => {
    expect(octetFrame('abc').toString()).toBe('3 abc');
    expect(octetFrame('é').toString('utf8')).toBe('2 é');
  });

  it('round-trips a stream of frames split anywhere, keeping an incomplete tail', () => {
    const msgs = ['<110>1 - - - - - - {"a":1}', 'x'.repeat(300), 'é ✓ 5 9 '];
    const stream = Buffer.concat(msgs.map(octetFrame));
    for (const cut of [1, 7, 40, stream.length - 3]) {
      const first = readOctetFrames(stream.subarray(0, cut));
      const second = readOctetFrames(Buffer.concat([first.rest, stream.subarray(cut)]));
      expect([...first.messages, ...second.messages]).toEqual(msgs);
      expect(second.rest.length).toBe(0);
    }
  });
});
