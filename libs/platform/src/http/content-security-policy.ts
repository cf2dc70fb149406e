/**
 * The Content-Security-Policy of the server-rendered pages (the mini-app's and the ops console's): our own origin
 * only, no inline script or style, no plugins, never framed, forms post to us — and to the origins given, e.g. a card
 * processor's hosted page.
 */
export function contentSecurityPolicy(formActionOrigins?: string | readonly string[]): string {
  const extra = (
    typeof formActionOrigins === 'string' ? [formActionOrigins] : (formActionOrigins ?? [])
  ).filter((origin) => origin !== '');
  for (const origin of extra)
    if (!/^https?:\/\/[^\s;,']+$/.test(origin))
      throw new Error(
        `formActionOrigins: '${origin}' must be an http(s) origin without spaces, ';', ',' or quotes`,
      );
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    ["form-action 'self'", ...extra].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
