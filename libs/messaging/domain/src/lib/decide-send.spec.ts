import type { ConsentRecord } from './consent/consent';
import { type MessagingPolicy, type SendRequest, decideSend, explainDecision } from './decide-send';
import { MessagingPolicyError } from './errors';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
// 14:00 in London (BST), 09:00 in New York (EDT), 03:00 in Honolulu.
const now = Date.parse('2025-06-16T13:00:00Z');

const policy: MessagingPolicy = {
  allowedWindow: { start: '08:00', end: '21:00' },
  frequencyCaps: [{ purpose: 'collections', max: 3, windowDays: 7 }],
  defaultTimeZone: 'Europe/London',
};

const granted = (channel: ConsentRecord['channel'], at = now - 30 * DAY): ConsentRecord => ({
  status: 'GRANTED',
  channel,
  purpose: 'collections',
  source: 'contract',
  at,
});

const request = (overrides: Partial<SendRequest> = {}): SendRequest => ({
  now,
  purpose: 'collections',
  preferredChannels: ['SMS', 'EMAIL'],
  contactPoints: { phone: '+447400123456', email: 'jane.doe@example.com' },
  caseTimeZone: 'Europe/London',
  consents: [granted('SMS'), granted('EMAIL'), granted('WHATSAPP')],
  priorAttempts: [],
  ...overrides,
});

describe('decideSend', () => {
  it('sends on the first preferred channel when every check passes', () => {
    expect(decideSend(policy, request())).toEqual({
      kind: 'send',
      channel: 'SMS',
      content: 'free-form',
      consent: { source: 'contract', grantedAt: now - 30 * DAY },
      timeZone: { source: 'case', zones: ['Europe/London'] },
      skipped: [],
    });
  });

  describe('channel and consent', () => {
    it('suppresses every channel of a purpose the customer opted out of', () => {
      const consents = [
        ...request().consents,
        { ...granted('SMS', now - DAY), status: 'REVOKED' as const, source: 'inbound-reply' as const },
      ];
      expect(
        decideSend(policy, request({ consents, preferredChannels: ['SMS', 'EMAIL', 'WHATSAPP'] })),
      ).toEqual({
        kind: 'suppress',
        reason: 'SUPPRESSED_OPTED_OUT',
        skipped: [
          { channel: 'SMS', reason: 'OPTED_OUT' },
          { channel: 'EMAIL', reason: 'OPTED_OUT' },
          { channel: 'WHATSAPP', reason: 'OPTED_OUT' },
        ],
      });
    });

    it('falls back to the next channel without consent on the first', () => {
      const decision = decideSend(policy, request({ consents: [granted('EMAIL')] }));
      expect(decision).toMatchObject({
        kind: 'send',
        channel: 'EMAIL',
        skipped: [{ channel: 'SMS', reason: 'NO_CONSENT' }],
      });
    });

    it('suppresses with SUPPRESSED_NO_CONSENT when no channel has consent', () => {
      expect(decideSend(policy, request({ consents: [] }))).toMatchObject({
        kind: 'suppress',
        reason: 'SUPPRESSED_NO_CONSENT',
      });
    });

    it('falls back past a channel that failed permanently, and is exhausted when all did', () => {
      expect(decideSend(policy, request({ failedPermanently: ['SMS'] }))).toMatchObject({
        kind: 'send',
        channel: 'EMAIL',
        skipped: [{ channel: 'SMS', reason: 'FAILED_PERMANENTLY' }],
      });
      expect(decideSend(policy, request({ failedPermanently: ['SMS', 'EMAIL'] }))).toMatchObject({
        kind: 'suppress',
        reason: 'SUPPRESSED_CHANNELS_EXHAUSTED',
      });
    });

    it('skips a channel whose contact point is missing or invalid', () => {
      expect(decideSend(policy, request({ contactPoints: { email: 'jane.doe@example.com' } }))).toMatchObject(
        {
          channel: 'EMAIL',
          skipped: [{ channel: 'SMS', reason: 'NO_CONTACT_POINT' }],
        },
      );
      expect(
        decideSend(policy, request({ contactPoints: { phone: '07400 123456', email: 'not-an-address' } })),
      ).toEqual({
        kind: 'suppress',
        reason: 'SUPPRESSED_INVALID_CONTACT_POINT',
        skipped: [
          { channel: 'SMS', reason: 'INVALID_CONTACT_POINT' },
          { channel: 'EMAIL', reason: 'INVALID_CONTACT_POINT' },
        ],
      });
    });

    it('reports the weightiest reason when channels fail for different ones', () => {
      const consents = [
        granted('SMS'),
        { ...granted('EMAIL', now - DAY), status: 'REVOKED' as const },
        granted('EMAIL', now - HOUR),
      ];
      // EMAIL re-granted after the revocation; SMS is still opted out; EMAIL's address is invalid.
      const decision = decideSend(
        policy,
        request({ consents, contactPoints: { phone: '+447400123456', email: 'nope' } }),
      );
      expect(decision).toMatchObject({ kind: 'suppress', reason: 'SUPPRESSED_OPTED_OUT' });
    });
  });

  describe('WhatsApp', () => {
    const whatsappFirst = { preferredChannels: ['WHATSAPP', 'SMS'] as const };

    it('sends free-form within 24 hours of the customer writing', () => {
      const decision = decideSend(
        policy,
        request({ ...whatsappFirst, whatsapp: { lastInboundAt: now - HOUR, approvedTemplate: false } }),
      );
      expect(decision).toMatchObject({ kind: 'send', channel: 'WHATSAPP', content: 'free-form' });
    });

    it('sends the approved template outside the window', () => {
      const decision = decideSend(
        policy,
        request({ ...whatsappFirst, whatsapp: { lastInboundAt: now - 2 * DAY, approvedTemplate: true } }),
      );
      expect(decision).toMatchObject({ kind: 'send', channel: 'WHATSAPP', content: 'approved-template' });
    });

    it('falls back when outside the window without an approved template', () => {
      const decision = decideSend(
        policy,
        request({ ...whatsappFirst, whatsapp: { approvedTemplate: false } }),
      );
      expect(decision).toMatchObject({
        kind: 'send',
        channel: 'SMS',
        skipped: [{ channel: 'WHATSAPP', reason: 'TEMPLATE_REQUIRED' }],
      });
      expect(decideSend(policy, request({ preferredChannels: ['WHATSAPP'] }))).toMatchObject({
        kind: 'suppress',
        reason: 'SUPPRESSED_TEMPLATE_REQUIRED',
      });
    });
  });

  describe('frequency cap', () => {
    it('suppresses at the cap, saying when the next attempt would be allowed', () => {
      const priorAttempts = [now - 5 * DAY, now - 3 * DAY, now - DAY];
      expect(decideSend(policy, request({ priorAttempts }))).toEqual({
        kind: 'suppress',
        reason: 'SUPPRESSED_FREQUENCY_CAP',
        nextAllowedAt: now + 2 * DAY,
        channel: 'SMS',
        skipped: [],
      });
    });

    it('reports an opt-out before a cap', () => {
      const consents = [{ ...granted('SMS', now - DAY), status: 'REVOKED' as const }];
      const decision = decideSend(policy, request({ consents, priorAttempts: [now, now, now] }));
      expect(decision).toMatchObject({ reason: 'SUPPRESSED_OPTED_OUT' });
    });
  });

  describe('quiet hours', () => {
    it('defers to the next allowed minute in the case time zone', () => {
      const decision = decideSend(policy, request({ now: Date.parse('2025-06-16T21:30:00Z') }));
      // 22:30 BST → 08:00 BST the next day = 07:00 UTC.
      expect(decision).toEqual({
        kind: 'defer',
        reason: 'QUIET_HOURS',
        until: Date.parse('2025-06-17T07:00:00Z'),
        channel: 'SMS',
        timeZone: { source: 'case', zones: ['Europe/London'] },
        skipped: [],
      });
    });

    it("holds the window in every zone of the phone number's country without a case time zone", () => {
      const decision = decideSend(
        policy,
        request({ caseTimeZone: undefined, contactPoints: { phone: '+14155552671' } }),
      );
      // 09:00 in New York but 03:00 in Honolulu: wait for 08:00 HST = 18:00 UTC.
      expect(decision).toMatchObject({
        kind: 'defer',
        until: Date.parse('2025-06-16T18:00:00Z'),
        timeZone: { source: 'phone-country', country: 'US' },
      });
    });

    it('uses the default zone when neither the case nor the phone says', () => {
      const decision = decideSend(
        policy,
        request({
          caseTimeZone: undefined,
          preferredChannels: ['EMAIL'],
          contactPoints: { email: 'jane.doe@example.com' },
        }),
      );
      expect(decision).toMatchObject({
        kind: 'send',
        timeZone: { source: 'default', zones: ['Europe/London'] },
      });
    });

    it('suppresses when the country zones share no minute of a narrow window', () => {
      const narrow = { ...policy, allowedWindow: { start: '10:00', end: '15:00' } };
      const decision = decideSend(
        narrow,
        request({ caseTimeZone: undefined, contactPoints: { phone: '+14155552671' } }),
      );
      expect(decision).toMatchObject({
        kind: 'suppress',
        reason: 'SUPPRESSED_NO_SAFE_SEND_TIME',
        channel: 'SMS',
      });
    });
  });

  describe('inputs', () => {
    it('refuses a window wider than 08:00–21:00, naming the field', () => {
      expect(() =>
        decideSend({ ...policy, allowedWindow: { start: '07:00', end: '21:00' } }, request()),
      ).toThrow(expect.objectContaining({ code: 'INVALID_SEND_WINDOW', field: 'allowedWindow.start' }));
    });

    it('refuses a bad cap, channel order or default zone', () => {
      expect(() =>
        decideSend(
          { ...policy, frequencyCaps: [{ purpose: 'collections', max: 0, windowDays: 7 }] },
          request(),
        ),
      ).toThrow(MessagingPolicyError);
      expect(() => decideSend(policy, request({ preferredChannels: [] }))).toThrow(
        expect.objectContaining({ code: 'INVALID_CHANNEL_ORDER' }),
      );
      expect(() =>
        decideSend({ ...policy, defaultTimeZone: 'Nowhere/Land' }, request({ caseTimeZone: undefined })),
      ).toThrow(expect.objectContaining({ code: 'INVALID_TIME_ZONE', field: 'defaultTimeZone' }));
    });
  });

  describe('explainDecision', () => {
    it('explains a decision with codes, channels and the time-zone source, never a contact point', () => {
      const decision = decideSend(policy, request({ consents: [granted('EMAIL')] }));
      const line = explainDecision(decision);
      expect(line).toBe(
        'send on EMAIL (free-form, consent from contract); time zone from case (Europe/London); skipped SMS: NO_CONSENT',
      );
      expect(line).not.toMatch(/447400123456|jane/);
      expect(JSON.stringify(decision)).not.toMatch(/447400123456|jane/);
    });

    it('explains a deferral and a suppression', () => {
      expect(explainDecision(decideSend(policy, request({ now: Date.parse('2025-06-16T21:30:00Z') })))).toBe(
        'defer SMS until 2025-06-17T07:00:00.000Z (QUIET_HOURS); time zone from case (Europe/London)',
      );
      expect(
        explainDecision(decideSend(policy, request({ priorAttempts: [now - DAY, now - DAY, now - DAY] }))),
      ).toBe('suppress (SUPPRESSED_FREQUENCY_CAP); next allowed 2025-06-22T13:00:00.000Z');
      expect(
        explainDecision(
          decideSend(policy, request({ caseTimeZone: undefined, contactPoints: { phone: '+14155552671' } })),
        ),
      ).toMatch(/time zone from phone country US \(\d+ zones\)/);
    });
  });
});
