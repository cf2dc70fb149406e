/** Small helpers the page controllers share: who is asking (IP), whether a POST came from our own pages (origin). */
import type { Request } from 'express';

export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Whether a POST comes from a page of our own origin: `Origin` equal to it, or, when a client sends no Origin, a
 * `Referer` on it. A cross-site form post (CSRF without a session yet) carries another origin, or `null`.
 *
 * Browsers also send `Origin: null` on a same-origin form post from a page under `Referrer-Policy: no-referrer`
 * (the platform's pages have it, so links never leak through Referer): then the browser's own fetch metadata
 * decides — `Sec-Fetch-Site: same-origin`, which page content cannot set; a cross-site post says `cross-site`.
 */
export function fromOwnOrigin(req: Request, origin: string): boolean {
  const given = req.headers.origin;
  if (given === 'null') return req.headers['sec-fetch-site'] === 'same-origin';
  if (given !== undefined) return given === origin;
  const referer = req.headers.referer;
  return typeof referer === 'string' && (referer === origin || referer.startsWith(`${origin}/`));
}
