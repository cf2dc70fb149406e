import type { HttpOptions } from '@closeout/platform';
import type { Config } from './config';
import { INTERNAL_API_MAX_BODY_BYTES } from './internal/internal-api.validation';

/**
 * Messaging's HTTP settings, for main.ts and the specs alike: the provider webhooks (signed over their raw body) and
 * the one-click unsubscribe (a form) read their own body; the internal API (`/internal`) is behind the bearer tokens
 * of `MESSAGING_INTERNAL_API_TOKENS`, and its JSON bodies — the service's only JSON bodies — are read up to 1 KiB.
 */
export function messagingHttpOptions(config: Pick<Config, 'MESSAGING_INTERNAL_API_TOKENS'>): HttpOptions {
  return {
    rawBodyPrefixes: ['/webhooks', '/l/'],
    maxBodyBytes: INTERNAL_API_MAX_BODY_BYTES,
    ...(config.MESSAGING_INTERNAL_API_TOKENS
      ? { tokens: config.MESSAGING_INTERNAL_API_TOKENS, protectedPrefixes: ['/internal'] }
      : {}),
  };
}
