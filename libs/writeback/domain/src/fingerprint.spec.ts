import { requestFingerprint } from './fingerprint';

const payload = {
  accountId: 'A1',
  amount: { amountMinor: 12550, currency: 'GBP' },
  paymentMethodToken: 'pm_1',
  reference: 'R1',
};
const base = { destination: 'core-banking-rest', operation: 'payment.post', payload };

describe('requestFingerprint', () => {
  it('is a SHA-256 hex digest', () => {
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for the same business content in any key order', () => {
    const reordered = {
      reference: 'R1',
      paymentMethodToken: 'pm_1',
      amount: { currency: 'GBP', amountMinor: 12550 },
      accountId: 'A1',
    };
    expect(requestFingerprint({ ...base, payload: reordered })).toBe(requestFingerprint(base));
    expect(requestFingerprint(JSON.parse(JSON.stringify(base)) as typeof base)).toBe(
      requestFingerprint(base),
    );
  });

  it('pins the digest of a known request, so the canonical form cannot drift unnoticed', () => {
    // If this changes, every stored fingerprint stops matching and re-deliveries would look like conflicts.
    // Computed outside the code under test: printf '%s' '<the canonical document>' | sha256sum, where the document is
    // {"destination":"core-banking-rest","operation":"payment.post","payload":{"accountId":"A1","amount":{"amountMinor":12550,"currency":"GBP"},"paymentMethodToken":"pm_1","reference":"R1"}}
    expect(requestFingerprint(base)).toBe('19ba5c06b3c88e2f6173e51a304d7a18c1d3be7d3642853c9996bc46b5b5e536');
  });

  it.each([
    ['amount', { ...base, payload: { ...payload, amount: { amountMinor: 12551, currency: 'GBP' } } }],
    ['currency', { ...base, payload: { ...payload, amount: { amountMinor: 12550, currency: 'EUR' } } }],
    ['destination', { ...base, destination: 'core-banking-soap' }],
    ['operation', { ...base, operation: 'card.update' }],
    ['an added field', { ...base, payload: { ...payload, memo: 'x' } }],
  ])('changes when the %s changes', (_what, other) => {
    expect(requestFingerprint(other)).not.toBe(requestFingerprint(base));
  });
});
