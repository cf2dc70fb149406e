import { MessagingPolicyError } from '../errors';
import { nextChannel, validateChannelOrder } from './next-channel';
import { WHATSAPP_SESSION_MARGIN_MS, WHATSAPP_SESSION_MS, whatsappMessageMode } from './whatsapp-window';

const now = Date.parse('2025-06-15T12:00:00Z');
const HOUR = 60 * 60 * 1000;

describe('whatsappMessageMode', () => {
  it('allows free-form within 24 hours of the last inbound message', () => {
    expect(whatsappMessageMode({ now, lastInboundAt: now - HOUR })).toBe('free-form');
    expect(whatsappMessageMode({ now, lastInboundAt: now - 23 * HOUR })).toBe('free-form');
  });

  it('needs an approved template after 24 hours, or within the closing margin', () => {
    expect(whatsappMessageMode({ now, lastInboundAt: now - WHATSAPP_SESSION_MS })).toBe('approved-template');
    expect(
      whatsappMessageMode({ now, lastInboundAt: now - WHATSAPP_SESSION_MS + WHATSAPP_SESSION_MARGIN_MS }),
    ).toBe('approved-template');
    expect(
      whatsappMessageMode({ now, lastInboundAt: now - WHATSAPP_SESSION_MS + WHATSAPP_SESSION_MARGIN_MS + 1 }),
    ).toBe('free-form');
  });

  it('needs an approved template when the customer never wrote, or the instant is in the future', () => {
    expect(whatsappMessageMode({ now })).toBe('approved-template');
    expect(whatsappMessageMode({ now, lastInboundAt: now + HOUR })).toBe('approved-template');
  });
});

describe('nextChannel', () => {
  it('takes the first preferred channel', () => {
    expect(nextChannel({ preferred: ['WHATSAPP', 'SMS', 'EMAIL'] })).toEqual({
      kind: 'channel',
      channel: 'WHATSAPP',
    });
  });

  it('falls back past channels that failed permanently or are suppressed', () => {
    expect(nextChannel({ preferred: ['WHATSAPP', 'SMS', 'EMAIL'], failedPermanently: ['WHATSAPP'] })).toEqual(
      { kind: 'channel', channel: 'SMS' },
    );
    expect(
      nextChannel({
        preferred: ['WHATSAPP', 'SMS', 'EMAIL'],
        failedPermanently: ['WHATSAPP'],
        suppressed: ['SMS'],
      }),
    ).toEqual({
      kind: 'channel',
      channel: 'EMAIL',
    });
  });

  it('answers none when every channel is out', () => {
    expect(
      nextChannel({ preferred: ['SMS', 'EMAIL'], failedPermanently: ['SMS'], suppressed: ['EMAIL'] }),
    ).toEqual({ kind: 'none' });
  });
});

describe('validateChannelOrder', () => {
  it('accepts an order of known channels', () => {
    expect(() => validateChannelOrder(['SMS', 'EMAIL'])).not.toThrow();
  });

  it.each([
    [[], 'preferredChannels'],
    [['SMS', 'FAX'], 'preferredChannels[1]'],
    [['SMS', 'EMAIL', 'SMS'], 'preferredChannels[2]'],
  ])('refuses %j naming %s', (order, field) => {
    expect(() => validateChannelOrder(order)).toThrow(MessagingPolicyError);
    expect(() => validateChannelOrder(order)).toThrow(
      expect.objectContaining({ code: 'INVALID_CHANNEL_ORDER', field }),
    );
  });
});
