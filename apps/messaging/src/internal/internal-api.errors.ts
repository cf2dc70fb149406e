/**
 * What the internal API's use cases answer a caller with when they cannot do what was asked; the controller maps each
 * code to its status (`INTERNAL_API_STATUSES`). Rules never quote the caller's input.
 */
import { DomainError } from '@closeout/errors';

export type InternalApiCode = 'LINK_NOT_FOUND' | 'PURPOSE_OPTED_OUT' | 'CODE_RATE_LIMITED' | 'CODE_NOT_SENT';

export class InternalApiError extends DomainError<InternalApiCode> {
  constructor(
    code: InternalApiCode,
    rule: string,
    options: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(code, rule, options.field === undefined ? {} : { field: options.field });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** For 429 and 503: when asking again may succeed. */
  readonly retryAfterSeconds: number | undefined;
}

export const INTERNAL_API_STATUSES: Readonly<Record<InternalApiCode, { status: number; title: string }>> = {
  LINK_NOT_FOUND: { status: 404, title: 'No such link' },
  PURPOSE_OPTED_OUT: { status: 409, title: 'Opted out' },
  CODE_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  CODE_NOT_SENT: { status: 503, title: 'Service Unavailable' },
};

export const linkNotFound = (): InternalApiError =>
  new InternalApiError('LINK_NOT_FOUND', 'no link has this SHA-256', { field: 'tokenSha256' });
