/** Reading what a request carries: its form body (bounded), a cookie, the client's IP, whether a POST is our own. */
import type { Request } from 'express';
import { formReader } from '@closeout/platform';

export const FORM_MAX_BYTES = 8 * 1024;
export const FORM_MAX_FIELDS = 10;

/** An application/x-www-form-urlencoded body (the platform's form reader; no uploads here): string fields only. */
export const readForm = formReader({ maxBytes: FORM_MAX_BYTES, maxFields: FORM_MAX_FIELDS });

export function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 4096) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Whether a POST comes from one of our own pages: the browser's fetch metadata (`Sec-Fetch-Site: same-origin`, which
 * page content cannot set) where it is sent, else an `Origin` whose host is the one asked. Every form also carries a
 * CSRF token; this refuses a cross-site post before anything else is read.
 */
export function fromOwnOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
