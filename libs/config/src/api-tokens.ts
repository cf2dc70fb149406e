import { z } from 'zod';

/**
 * Who an API caller is: the principal its bearer token names. `id` is what the service records as the actor (an
 * agent's id in an exception resolution, an upstream system's name for an ingested event); `sources` are the
 * upstream source systems the principal may publish events for (trigger-ingest only; empty elsewhere).
 */
export interface ApiPrincipal {
  id: string;
  sources: readonly string[];
}

export interface ApiTokenEntry {
  principal: ApiPrincipal;
  token: string;
}

const PRINCIPAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN = /^[\x21-\x7e]{16,512}$/;

/**
 * Parses an API token variable: comma-separated `principal=token` entries, where a principal may list the source
 * systems it publishes for, `principal[source-a|source-b]=token` (default: the principal's own id). Tokens are
 * 16–512 printable ASCII characters; a token may appear once; no entry is ever echoed in an error.
 */
export function parseApiTokens(raw: string): { entries?: ApiTokenEntry[]; problem?: string } {
  const entries: ApiTokenEntry[] = [];
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) return { problem: 'must list at least one principal=token entry' };
  for (const [index, part] of parts.entries()) {
    const eq = part.indexOf('=');
    if (eq <= 0)
      return { problem: `entry ${index + 1}: must be principal=token or principal[source|…]=token` };
    const head = part.slice(0, eq);
    const token = part.slice(eq + 1);
    const m = /^([^[\]]+)(?:\[([^\]]*)\])?$/.exec(head);
    const id = m?.[1] ?? '';
    if (!PRINCIPAL_ID.test(id))
      return {
        problem: `entry ${index + 1}: the principal must be 1–64 characters of letters, digits and . _ : @ -`,
      };
    const sources = m?.[2] !== undefined ? m[2].split('|').filter((s) => s !== '') : [id];
    if (sources.length === 0 || sources.some((s) => !SOURCE.test(s)))
      return {
        problem: `entry ${index + 1}: each source must be 1–64 characters of letters, digits and . _ -`,
      };
    if (!TOKEN.test(token))
      return {
        problem: `entry ${index + 1}: the token must be 16–512 printable ASCII characters without spaces`,
      };
    if (entries.some((e) => e.token === token))
      return { problem: `entry ${index + 1}: repeats another entry's token` };
    entries.push({ principal: { id, sources }, token });
  }
  return { entries };
}

/** A zod schema for an API token variable (see parseApiTokens). */
export const apiTokensSchema = z.string().transform((raw, ctx): ApiTokenEntry[] => {
  const { entries, problem } = parseApiTokens(raw);
  if (!entries) {
    ctx.addIssue({ code: 'custom', message: problem ?? 'is not a valid token list' });
    return z.NEVER;
  }
  return entries;
});
