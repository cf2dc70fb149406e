import { checkVerificationHandshake, sameSecret } from './verification-handshake';

const TOKEN = 'verify-token-0123456789';
const query = (params: Record<string, string>): string => new URLSearchParams(params).toString();
const valid = { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1158201444' };

describe('WhatsApp webhook verification handshake', () => {
  it('answers the challenge when the mode is subscribe and the verify token matches', () => {
    expect(checkVerificationHandshake(query(valid), TOKEN)).toEqual({ ok: true, challenge: '1158201444' });
  });

  it('refuses a token that does not match, without echoing it', () => {
    const answer = checkVerificationHandshake(
      query({ ...valid, 'hub.verify_token': 'guess-guess-guess' }),
      TOKEN,
    );
    expect(answer).toEqual({ ok: false, why: 'hub.verify_token does not match' });
    expect(JSON.stringify(answer)).not.toContain('guess');
  });

  it('refuses everything when no verify token is configured', () => {
    expect(checkVerificationHandshake(query(valid), undefined)).toEqual({
      ok: false,
      why: 'WHATSAPP_VERIFY_TOKEN is not set',
    });
  });

  it.each([
    ['another mode', query({ ...valid, 'hub.mode': 'unsubscribe' }), /^hub\.mode/],
    ['no mode', query({ 'hub.verify_token': TOKEN, 'hub.challenge': '1' }), /^hub\.mode/],
    ['a repeated token', `${query(valid)}&hub.verify_token=${TOKEN}`, /^hub\.verify_token/],
    ['an empty token', query({ ...valid, 'hub.verify_token': '' }), /^hub\.verify_token/],
    [
      'a token past 256 characters',
      query({ ...valid, 'hub.verify_token': 'x'.repeat(257) }),
      /^hub\.verify_token/,
    ],
    ['no challenge', query({ 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN }), /^hub\.challenge/],
    [
      'a challenge with markup',
      query({ ...valid, 'hub.challenge': '<script>alert(1)</script>' }),
      /^hub\.challenge/,
    ],
    [
      'a challenge past 256 characters',
      query({ ...valid, 'hub.challenge': '1'.repeat(257) }),
      /^hub\.challenge/,
    ],
    ['a query past 2048 characters', `${query(valid)}&pad=${'a'.repeat(2_100)}`, /^query too long$/],
  ])('refuses %s, naming the rule only', (_what, q, why) => {
    const answer = checkVerificationHandshake(q, TOKEN);
    expect(answer.ok).toBe(false);
    expect(answer.ok === false && answer.why).toMatch(why);
    expect(JSON.stringify(answer)).not.toContain('script');
  });

  it('compares secrets of any length without throwing', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true);
    expect(sameSecret('short', TOKEN)).toBe(false);
    expect(sameSecret('', TOKEN)).toBe(false);
  });
});
