import type { ApiPrincipal, ApiTokenEntry } from '@closeout/config';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeAfterAnswer } from './close-after-answer';

const PRINCIPAL = Symbol('closeout.api-principal');

type WithPrincipal = Request & { [PRINCIPAL]?: ApiPrincipal };

/**
 * Bearer-token authentication against a service's token entries. Tokens are compared as SHA-256 digests in
 * constant time (equal lengths whatever the token), every entry is compared (no early exit), and a header over
 * 1 KiB is refused without hashing.
 */
export class BearerAuth {
  private readonly digests: Array<{ digest: Buffer; principal: ApiPrincipal }>;

  constructor(entries: readonly ApiTokenEntry[]) {
    this.digests = entries.map((e) => ({ digest: sha256(e.token), principal: e.principal }));
  }

  /** The principal the `Authorization` header's bearer token names, or undefined. */
  authenticate(header: string | undefined): ApiPrincipal | undefined {
    if (header === undefined || header.length > 1024) return undefined;
    const token = /^Bearer ([\x21-\x7e]+)$/.exec(header)?.[1];
    if (token === undefined) return undefined;
    const given = sha256(token);
    let found: ApiPrincipal | undefined;
    for (const { digest, principal } of this.digests) if (timingSafeEqual(digest, given)) found ??= principal;
    return found;
  }

  /**
   * Express middleware for the paths it guards: answers 401 problem+json (with `WWW-Authenticate: Bearer`) before
   * anything reads the request body, or records the principal for `principalOf`.
   */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      const principal = this.authenticate(req.headers.authorization);
      if (!principal) {
        // The body is never parsed; close the connection (lingering, so the 401 is not lost) rather than keep it.
        if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
          closeAfterAnswer(res);
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer')
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: 'about:blank',
              title: 'Unauthorized',
              status: 401,
              detail: 'a valid bearer token is required',
            }),
          );
        return;
      }
      (req as WithPrincipal)[PRINCIPAL] = principal;
      next();
    };
  }
}

/** Whether the request passed BearerAuth's middleware. */
export function hasPrincipal(req: Request): boolean {
  return (req as WithPrincipal)[PRINCIPAL] !== undefined;
}

/** The authenticated caller of a request that passed BearerAuth's middleware; throws if it did not. */
export function principalOf(req: Request): ApiPrincipal {
  const principal = (req as WithPrincipal)[PRINCIPAL];
  if (!principal)
    throw new Error('the request has no authenticated principal: is the route behind BearerAuth?');
  return principal;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
