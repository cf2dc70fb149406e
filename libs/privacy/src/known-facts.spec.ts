import { hashKnownFact, KnownFactFormatError, normalizeKnownFact, verifyKnownFact } from './known-facts';

describe('known facts', () => {
  it('normalises dates and postcodes the same way on both sides', () => {
    expect(normalizeKnownFact('dateOfBirth', '1984-03-07')).toBe('1984-03-07');
    expect(normalizeKnownFact('dateOfBirth', '07/03/1984')).toBe('1984-03-07');
    expect(normalizeKnownFact('postalCode', ' sw1a 1aa ')).toBe('SW1A1AA');
  });

  it('refuses what is not a fact of its kind, naming the field and the rule', () => {
    for (const bad of ['1984-02-30', '31/13/1984', '1850-01-01', '3000-01-01', 'yesterday', '']) {
      expect(() => normalizeKnownFact('dateOfBirth', bad)).toThrow(KnownFactFormatError);
    }
    expect(() => normalizeKnownFact('postalCode', '<script>')).toThrow(/postalCode must be/);
  });

  it('verifies a matching answer, in any accepted format, and rejects another', async () => {
    const stored = await hashKnownFact('postalCode', 'SW1A 1AA');
    expect(stored.hash).not.toContain('SW1A');
    expect(await verifyKnownFact(stored, 'sw1a1aa')).toBe(true);
    expect(await verifyKnownFact(stored, 'SW1A 1AB')).toBe(false);
    const dob = await hashKnownFact('dateOfBirth', '1984-03-07');
    expect(await verifyKnownFact(dob, '07-03-1984')).toBe(true);
    expect(await verifyKnownFact(dob, '1984-03-08')).toBe(false);
  });

  it('salts each hash: the same fact hashes differently twice', async () => {
    const [a, b] = await Promise.all([hashKnownFact('dateOfBirth', '1990-01-01'), hashKnownFact('dateOfBirth', '1990-01-01')]);
    expect(a.hash).not.toBe(b.hash);
    expect(a.salt).not.toBe(b.salt);
  });

});
