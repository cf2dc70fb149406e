/** Small helpers the page controllers share: who is asking (IP), whether a POST came from our own pages (origin). */
import type { Request } from 'express';

export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Whether a POST comes from a page of our own origin: `Origin` equal to it, or, when a client sends no Origin, a
 * `Referer` on it. A cross-site form post (CSRF without a session yet) carries another origin, or `null`.
 */
export function fromOwnOrigin(req: Request, origin: string): boolean {
  const given = req.headers.origin;
  if (given !== undefined) return given === origin;
  const referer = req.headers.referer;
  return typeof referer === 'string' && (referer === origin || referer.startsWith(`${origin}/`));
}
