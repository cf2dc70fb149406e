import { DecodeError } from '../kafka.errors';
import { decodePlain, encodePlain, validatePlain } from './plain-codec';

describe('plain (non-Avro) parts', () => {
  it('round-trips UTF-8 text keys and JSON values', () => {
    expect(decodePlain({ plain: 'utf8' }, 'key', encodePlain({ plain: 'utf8' }, 'cust-1'))).toBe('cust-1');
    const value = { eventId: 'e-1', amount: { value: '45.99' } };
    expect(decodePlain({ plain: 'json' }, 'value', encodePlain({ plain: 'json' }, value))).toEqual(value);
  });

  it('decodes an absent part to null only where the catalog allows it', () => {
    expect(decodePlain({ plain: 'utf8', nullable: true }, 'key', null)).toBeNull();
    expect(() => decodePlain({ plain: 'utf8' }, 'key', null)).toThrow(
      expect.objectContaining({ failure: 'null-key' }) as Error,
    );
  });

  it('classifies bytes that are not JSON or not UTF-8 as decode failures', () => {
    const notJson = (): unknown => decodePlain({ plain: 'json' }, 'value', Buffer.from([0, 0, 0, 0, 1, 2]));
    expect(notJson).toThrow(DecodeError);
    expect(notJson).toThrow(expect.objectContaining({ failure: 'bad-json' }) as Error);
    expect(() => decodePlain({ plain: 'utf8' }, 'key', Buffer.from([0xff, 0xfe]))).toThrow(
      expect.objectContaining({ failure: 'bad-utf8' }) as Error,
    );
  });

  it('refuses to write what the part cannot hold', () => {
    expect(validatePlain({ plain: 'utf8' }, 42)).toEqual([
      { path: '', rule: 'type:string', message: 'must be a string, got number' },
    ]);
    expect(validatePlain({ plain: 'json' }, 10n)[0]).toMatchObject({ rule: 'json' });
    expect(validatePlain({ plain: 'json' }, { ok: true })).toEqual([]);
  });
});
