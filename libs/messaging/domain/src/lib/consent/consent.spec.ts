import { detectReplyIntent } from '../replies/detect-reply-intent';
import {
  ALL_PURPOSES,
  type ConsentRecord,
  checkConsent,
  consentRecordFromReply,
  validateConsentRecords,
} from './consent';

const now = Date.parse('2025-06-15T12:00:00Z');
const grant = (channel: ConsentRecord['channel'], purpose: string, at: number): ConsentRecord => ({
  status: 'GRANTED',
  channel,
  purpose,
  source: 'contract',
  at,
});
const revoke = (channel: ConsentRecord['channel'], purpose: string, at: number): ConsentRecord => ({
  status: 'REVOKED',
  channel,
  purpose,
  source: 'inbound-reply',
  at,
});

describe('checkConsent', () => {
  it('is consented with a grant for the channel and purpose', () => {
    expect(
      checkConsent({
        now,
        channel: 'SMS',
        purpose: 'collections',
        records: [grant('SMS', 'collections', now - 1000)],
      }),
    ).toEqual({
      kind: 'consented',
      source: 'contract',
      grantedAt: now - 1000,
    });
  });

  it('is no consent without a grant for that channel, or for that purpose', () => {
    const records = [grant('EMAIL', 'collections', now - 1000), grant('SMS', 'marketing', now - 1000)];
    expect(checkConsent({ now, channel: 'SMS', purpose: 'collections', records })).toEqual({
      kind: 'suppressed',
      reason: 'SUPPRESSED_NO_CONSENT',
    });
    expect(checkConsent({ now, channel: 'SMS', purpose: 'collections', records: [] })).toEqual({
      kind: 'suppressed',
      reason: 'SUPPRESSED_NO_CONSENT',
    });
  });

  it('applies an opt-out for a purpose to every channel of that purpose', () => {
    const records = [
      grant('SMS', 'collections', now - 3000),
      grant('EMAIL', 'collections', now - 3000),
      revoke('SMS', 'collections', now - 2000),
    ];
    for (const channel of ['SMS', 'EMAIL', 'WHATSAPP'] as const) {
      expect(checkConsent({ now, channel, purpose: 'collections', records })).toEqual({
        kind: 'suppressed',
        reason: 'SUPPRESSED_OPTED_OUT',
        source: 'inbound-reply',
        revokedAt: now - 2000,
      });
    }
  });

  it('leaves other purposes alone', () => {
    const records = [grant('SMS', 'kyc', now - 3000), revoke('SMS', 'collections', now - 2000)];
    expect(checkConsent({ now, channel: 'SMS', purpose: 'kyc', records }).kind).toBe('consented');
  });

  it('applies an every-purpose revocation to every purpose', () => {
    const records = [grant('SMS', 'kyc', now - 3000), revoke('SMS', ALL_PURPOSES, now - 2000)];
    expect(checkConsent({ now, channel: 'SMS', purpose: 'kyc', records })).toMatchObject({
      reason: 'SUPPRESSED_OPTED_OUT',
    });
  });

  it('restores only the channel a later grant is for', () => {
    const records = [
      grant('SMS', 'collections', now - 3000),
      grant('EMAIL', 'collections', now - 3000),
      revoke('SMS', 'collections', now - 2000),
      grant('SMS', 'collections', now - 1000),
    ];
    expect(checkConsent({ now, channel: 'SMS', purpose: 'collections', records }).kind).toBe('consented');
    expect(checkConsent({ now, channel: 'EMAIL', purpose: 'collections', records })).toMatchObject({
      reason: 'SUPPRESSED_OPTED_OUT',
    });
  });

  it('treats a grant and a revocation at the same instant as a revocation', () => {
    const records = [grant('SMS', 'collections', now - 1000), revoke('SMS', 'collections', now - 1000)];
    expect(checkConsent({ now, channel: 'SMS', purpose: 'collections', records })).toMatchObject({
      reason: 'SUPPRESSED_OPTED_OUT',
    });
  });

  it('ignores records dated after now', () => {
    expect(
      checkConsent({
        now,
        channel: 'SMS',
        purpose: 'collections',
        records: [grant('SMS', 'collections', now + 1)],
      }),
    ).toMatchObject({
      reason: 'SUPPRESSED_NO_CONSENT',
    });
  });
});

describe('validateConsentRecords', () => {
  it('refuses a grant for every purpose, naming the field', () => {
    expect(() => validateConsentRecords([grant('SMS', 'c', 1), grant('SMS', ALL_PURPOSES, 1)])).toThrow(
      expect.objectContaining({ code: 'INVALID_CONSENT_RECORD', field: 'consents[1].purpose' }),
    );
  });

  it('refuses an empty purpose and an instant that is not a number', () => {
    expect(() => validateConsentRecords([grant('SMS', '', 1)])).toThrow(
      expect.objectContaining({ field: 'consents[0].purpose' }),
    );
    expect(() => validateConsentRecords([grant('SMS', 'c', Number.NaN)])).toThrow(
      expect.objectContaining({ field: 'consents[0].at' }),
    );
  });

  it('accepts a revocation for every purpose', () => {
    expect(() => validateConsentRecords([revoke('SMS', ALL_PURPOSES, 1)])).not.toThrow();
  });
});

describe('consentRecordFromReply', () => {
  const context = { channel: 'SMS' as const, purpose: 'collections', at: now };

  it('revokes the purpose replied to on an opt-out', () => {
    expect(consentRecordFromReply(detectReplyIntent('please stop texting me'), context)).toEqual({
      status: 'REVOKED',
      channel: 'SMS',
      purpose: 'collections',
      source: 'inbound-reply',
      at: now,
    });
  });

  it('revokes every purpose on STOPALL', () => {
    expect(consentRecordFromReply(detectReplyIntent('STOPALL'), context)).toMatchObject({
      status: 'REVOKED',
      purpose: ALL_PURPOSES,
    });
  });

  it('grants the channel and purpose again on START', () => {
    expect(consentRecordFromReply(detectReplyIntent('START'), context)).toMatchObject({
      status: 'GRANTED',
      channel: 'SMS',
      purpose: 'collections',
    });
  });

  it('makes no record from a reply that is neither', () => {
    expect(
      consentRecordFromReply(detectReplyIntent('stop by the branch tomorrow?'), context),
    ).toBeUndefined();
  });
});
