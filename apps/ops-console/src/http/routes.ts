import type { HttpOptions } from '@closeout/platform';

/**
 * The platform's HTTP hardening (helmet, URL bounds, problem+json, server timeouts) with no bearer-protected prefix:
 * operators sign in with a session. Every POST is a form the console reads itself (bounded, http/request.ts), so all
 * paths are raw-body paths and no JSON body is ever accepted.
 */
export const CONSOLE_HTTP: HttpOptions = { rawBodyPrefixes: ['/'] };
