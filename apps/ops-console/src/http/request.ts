/** Reading what a request carries: its form body (bounded), a cookie, the client's IP, whether a POST is our own. */
import type { Request, Response } from 'express';
import { urlencoded } from 'express';

export const FORM_MAX_BYTES = 8 * 1024;
export const FORM_MAX_FIELDS = 10;

const parseUrlencoded = urlencoded({
  extended: false,
  limit: FORM_MAX_BYTES,
  parameterLimit: FORM_MAX_FIELDS,
});

export type FormRead =
  { ok: true; fields: Record<string, string> } | { ok: false; status: 400 | 413 | 415; rule: string };

/** An application/x-www-form-urlencoded body: string fields only, the first of a repeated one. */
export function readForm(req: Request, res: Response): Promise<FormRead> {
  const type = req.headers['content-type'] ?? '';
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (hasBody && !/^application\/x-www-form-urlencoded/i.test(type))
    return Promise.resolve({ ok: false, status: 415, rule: 'must be application/x-www-form-urlencoded' });
  return new Promise((resolve) =>
    parseUrlencoded(req, res, (error?: unknown) => {
      if (error) {
        const e = error as { type?: string };
        return resolve(
          e.type === 'entity.too.large' || e.type === 'parameters.too.many'
            ? {
                ok: false,
                status: 413,
                rule: `must be at most ${FORM_MAX_BYTES} bytes and ${FORM_MAX_FIELDS} fields`,
              }
            : { ok: false, status: 400, rule: 'could not be read' },
        );
      }
      const fields: Record<string, string> = {};
      for (const [key, value] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
        const first = Array.isArray(value) ? value[0] : value;
        if (typeof first === 'string') fields[key] = first;
      }
      resolve({ ok: true, fields });
    }),
  );
}

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
