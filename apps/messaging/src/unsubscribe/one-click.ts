/**
 * What the unsubscribe endpoint accepts, checked before anything is looked up: the token's form (what messaging mints:
 * 32 random bytes as base64url, 43 characters) and the RFC 8058 one-click body (`List-Unsubscribe=One-Click`, sent as
 * `multipart/form-data` or `application/x-www-form-urlencoded`). Nothing here quotes the request.
 */

/** A token as `mintLinkToken` makes it; anything else is not a link of ours. */
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const isLinkToken = (token: string): boolean => LINK_TOKEN.test(token);

/** The largest unsubscribe body read, in bytes: the one-click body is 26 bytes; a multipart one a few hundred. */
export const ONE_CLICK_MAX_BYTES = 1024;

/** The media types RFC 8058 allows for the one-click POST. */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

export type OneClickCheck = { ok: true } | { ok: false; status: 400 | 415; rule: string };

/**
 * Whether a body is the RFC 8058 one-click request. The form is parsed by the platform's own parser (WHATWG
 * `FormData`, both encodings); a body it cannot read, or without `List-Unsubscribe=One-Click`, is refused by rule.
 */
export async function checkOneClickBody(
  contentType: string | undefined,
  body: Buffer,
): Promise<OneClickCheck> {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (contentType === undefined || !FORM_TYPES.includes(type))
    return {
      ok: false,
      status: 415,
      rule: 'body: must be application/x-www-form-urlencoded or multipart/form-data (RFC 8058)',
    };
  let values: string[];
  try {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    values = form.getAll('List-Unsubscribe').map((v) => (typeof v === 'string' ? v : ''));
  } catch {
    return { ok: false, status: 400, rule: 'body: is not a readable form' };
  }
  return values.length === 1 && values[0] === 'One-Click'
    ? { ok: true }
    : { ok: false, status: 400, rule: 'body: must be List-Unsubscribe=One-Click (RFC 8058)' };
}
