import type { HttpOptions } from '@closeout/platform';
import type { Config } from '../config';

/** The service's HTTP settings, for main.ts and the specs alike: `/v1` behind the bearer tokens of AUDIT_API_TOKENS. */
export function auditHttpOptions(config: Pick<Config, 'AUDIT_API_TOKENS'>): HttpOptions {
  // Without tokens `/v1` is still protected: RequirePrincipalGuard answers 401 to everyone.
  return {
    ...(config.AUDIT_API_TOKENS ? { tokens: config.AUDIT_API_TOKENS } : {}),
    protectedPrefixes: ['/v1'],
  };
}
