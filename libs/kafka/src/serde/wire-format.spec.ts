import { readWireHeader } from './wire-format';

describe('Confluent wire format', () => {
  it('reads the schema id after magic byte 0', () => {
    const header = readWireHeader(Buffer.from([0, 0, 0, 1, 2, 9, 9]));
    expect(header).toEqual({ ok: true, schemaId: 258, body: Buffer.from([9, 9]) });
  });

  it('refuses another magic byte, e.g. a JSON payload', () => {
    expect(readWireHeader(Buffer.from('{"caseId":"c-1"}'))).toEqual({
      ok: false,
      reason: 'magic byte is 123, expected 0',
    });
  });

  it('refuses a payload shorter than the header', () => {
    expect(readWireHeader(Buffer.from([0, 0, 1]))).toEqual({
      ok: false,
      reason: '3 bytes is shorter than the 5-byte Confluent header',
    });
  });
});
