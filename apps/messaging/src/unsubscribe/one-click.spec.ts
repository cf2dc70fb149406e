import { mintLinkToken } from '../links/mini-app-link';
import { checkOneClickBody, isLinkToken } from './one-click';
import { CONFIRM_PAGE, DONE_PAGE } from './unsubscribe-pages';

const FORM = 'application/x-www-form-urlencoded';

function multipart(fields: Array<[string, string]>, boundary = 'b0undary'): [string, Buffer] {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return [`multipart/form-data; boundary=${boundary}`, Buffer.from(`${parts.join('')}--${boundary}--\r\n`)];
}

describe('isLinkToken', () => {
  it('takes what mintLinkToken makes: 43 base64url characters', () => {
    for (let i = 0; i < 50; i++) expect(isLinkToken(mintLinkToken().token)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['one short', 'a'.repeat(42)],
    ['one long', 'a'.repeat(44)],
    ['padded base64', `${'a'.repeat(42)}=`],
    ['standard base64 alphabet', `${'a'.repeat(42)}+`],
    ['markup', `<script>${'a'.repeat(35)}`],
    ['a path', `${'a'.repeat(21)}/${'a'.repeat(21)}`],
  ])('refuses %s', (_, token) => expect(isLinkToken(token)).toBe(false));
});

describe('checkOneClickBody', () => {
  it('accepts the RFC 8058 body, form-encoded or multipart', async () => {
    expect(await checkOneClickBody(FORM, Buffer.from('List-Unsubscribe=One-Click'))).toEqual({ ok: true });
    expect(
      await checkOneClickBody(`${FORM}; charset=utf-8`, Buffer.from('List-Unsubscribe=One-Click')),
    ).toEqual({ ok: true });
    expect(await checkOneClickBody(...multipart([['List-Unsubscribe', 'One-Click']]))).toEqual({ ok: true });
  });

  it('refuses another media type, or none, with 415', async () => {
    for (const type of [undefined, 'application/json', 'text/plain', ''])
      expect(await checkOneClickBody(type, Buffer.from('List-Unsubscribe=One-Click'))).toEqual({
        ok: false,
        status: 415,
        rule: 'body: must be application/x-www-form-urlencoded or multipart/form-data (RFC 8058)',
      });
  });

  it('refuses a form that does not say List-Unsubscribe=One-Click once, with 400 naming the rule', async () => {
    const rule = 'body: must be List-Unsubscribe=One-Click (RFC 8058)';
    for (const body of [
      '',
      'List-Unsubscribe=Yes',
      'list-unsubscribe=One-Click',
      'a=b',
      'List-Unsubscribe=One-Click&List-Unsubscribe=One-Click',
    ])
      expect(await checkOneClickBody(FORM, Buffer.from(body))).toEqual({ ok: false, status: 400, rule });
    expect(await checkOneClickBody(...multipart([['List-Unsubscribe', 'No']]))).toEqual({
      ok: false,
      status: 400,
      rule,
    });
  });

  it('refuses a multipart body it cannot read (no boundary, broken parts) with 400', async () => {
    const unreadable = { ok: false, status: 400, rule: 'body: is not a readable form' };
    expect(await checkOneClickBody('multipart/form-data', Buffer.from('List-Unsubscribe=One-Click'))).toEqual(
      unreadable,
    );
    expect(await checkOneClickBody('multipart/form-data; boundary=x', Buffer.from('garbage'))).toEqual(
      unreadable,
    );
  });
});

describe('the unsubscribe pages', () => {
  it('the GET page posts the one-click body back to its own URL, with no script', () => {
    expect(CONFIRM_PAGE).toContain('<form method="post">');
    expect(CONFIRM_PAGE).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(CONFIRM_PAGE).not.toMatch(/action=|<script/i);
    expect(DONE_PAGE).toContain('You are unsubscribed');
    expect(DONE_PAGE).not.toMatch(/<form|<script/i);
  });
});
