import { extractMiniAppLinks, extractOneTimeCode, linkToken } from './journey';

const BASE = 'https://app.closeout.test';
// 43 base64url characters (256 bits), with the alphabet's - and _ and a run of six digits.
const TOKEN = 'Zq3-_x123456AbCdEfGhIjKlMnOpQrStUvWxYz01234';
const OTHER = 'a'.repeat(42) + 'B';

describe('extractMiniAppLinks', () => {
  it('finds the link in an SMS as the templates write it', () => {
    const sms = `Pay the missed amount, or choose another way to pay by 12 December 2026: ${BASE}/l/${TOKEN} Reply STOP to opt out.`;
    expect(extractMiniAppLinks(sms)).toEqual([`${BASE}/l/${TOKEN}`]);
  });

  it('finds it in an email once, not the one-click unsubscribe URL with the same token', () => {
    const text = `Hello,\n\n${BASE}/l/${TOKEN}\n\nTo stop these emails, unsubscribe: ${BASE}/l/${TOKEN}/unsubscribe`;
    const html = `<p><a href="${BASE}/l/${TOKEN}">Pay the missed amount</a></p><p>${BASE}/l/${TOKEN}</p>
<p style="font-size:small">unsubscribe: ${BASE}/l/${TOKEN}/unsubscribe</p>`;
    expect(extractMiniAppLinks(text)).toEqual([`${BASE}/l/${TOKEN}`]);
    expect(extractMiniAppLinks(html)).toEqual([`${BASE}/l/${TOKEN}`]);
    expect(extractMiniAppLinks(`unsubscribe: ${BASE}/l/${TOKEN}/unsubscribe`)).toEqual([]);
  });

  it('decodes the entities an HTML part may put in a URL', () => {
    expect(
      extractMiniAppLinks(`<a href="https:&#x2F;&#x2F;app.closeout.test&#47;l&#x2F;${TOKEN}">open</a>`),
    ).toEqual([`${BASE}/l/${TOKEN}`]);
  });

  it('keeps the order of appearance and only links under the base URL when one is given', () => {
    const body = `http://127.0.0.1:3004/l/${OTHER} then ${BASE}/l/${TOKEN} then ${BASE}/l/${OTHER}.`;
    expect(extractMiniAppLinks(body)).toEqual([
      `http://127.0.0.1:3004/l/${OTHER}`,
      `${BASE}/l/${TOKEN}`,
      `${BASE}/l/${OTHER}`,
    ]);
    expect(extractMiniAppLinks(body, `${BASE}/`)).toEqual([`${BASE}/l/${TOKEN}`, `${BASE}/l/${OTHER}`]);
  });

  it('ignores tokens of the wrong length and other paths', () => {
    expect(
      extractMiniAppLinks(`${BASE}/l/${TOKEN.slice(1)} ${BASE}/l/${TOKEN}x ${BASE}/s/${TOKEN} ${BASE}/l/`),
    ).toEqual([]);
  });

  it('linkToken reads the token back, and refuses what is not a link', () => {
    expect(linkToken(`${BASE}/l/${TOKEN}`)).toBe(TOKEN);
    expect(() => linkToken(`${BASE}/l/${TOKEN}/unsubscribe`)).toThrow('not a mini-app link');
  });
});

describe('extractOneTimeCode', () => {
  it('reads the code of the SMS and email templates', () => {
    expect(
      extractOneTimeCode(
        'Your Closeout Bank code is 042917. It is valid for 10 minutes. Never share it: we will never ask you for it.',
      ),
    ).toBe('042917');
    expect(
      extractOneTimeCode(
        '<p>Your Closeout Bank code is <strong>930114</strong>.</p><p>It is valid for 10 minutes.</p>',
      ),
    ).toBe('930114');
    expect(extractOneTimeCode('Votre code : 551203.')).toBe('551203');
  });

  it('does not take phone numbers, amounts, longer numbers or URL parts for a code', () => {
    expect(
      extractOneTimeCode('Call +15005550006 or 0800 123 4567 about £123456.78 or ref 1234567'),
    ).toBeUndefined();
    expect(extractOneTimeCode(`Unsubscribe: ${BASE}/l/${TOKEN}/unsubscribe`)).toBeUndefined();
    expect(extractOneTimeCode('<p data-id="123456">No code here</p>')).toBeUndefined();
    expect(extractOneTimeCode('')).toBeUndefined();
  });

  it('refuses a message with two different six-digit numbers, accepts the same code twice', () => {
    expect(() => extractOneTimeCode('codes 111111 and 222222')).toThrow('2 different six-digit numbers');
    expect(extractOneTimeCode('Your code is 333333. Again: 333333')).toBe('333333');
  });
});
