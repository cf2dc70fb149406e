/**
 * The console's operators, from configuration: `CONSOLE_OPERATORS` is a comma-separated list of
 * `operator-id:role:scrypt-hash` entries (hashes from `hash-password.ts`), role `viewer` (reads every page) or `agent`
 * (also retries, closes and hands back exceptions). No password is ever in the configuration.
 */
import { parseHash } from './passwords';

export const ROLES = ['viewer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export interface Operator {
  id: string;
  role: Role;
  passwordHash: string;
}

/** The agent ids the orchestrator accepts in X-On-Behalf-Of. */
export const OPERATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function parseOperators(raw: string): { operators?: Operator[]; problem?: string } {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return { problem: 'must list at least one operator-id:role:hash entry' };
  const operators: Operator[] = [];
  for (const [i, entry] of entries.entries()) {
    const [id, role, hash, ...rest] = entry.split(':');
    if (rest.length > 0 || id === undefined || role === undefined || hash === undefined)
      return { problem: `entry ${i + 1}: must be operator-id:role:hash` };
    if (!OPERATOR_ID.test(id))
      return {
        problem: `entry ${i + 1}: the operator id must be 1–64 characters of letters, digits and . _ @ -`,
      };
    if (!(ROLES as readonly string[]).includes(role))
      return { problem: `entry ${i + 1}: the role must be one of ${ROLES.join(', ')}` };
    if (!parseHash(hash))
      return {
        problem: `entry ${i + 1}: the hash must be scrypt$N$r$p$salt$key (apps/ops-console/src/hash-password.ts)`,
      };
    if (operators.some((o) => o.id === id))
      return { problem: `entry ${i + 1}: the operator id is listed twice` };
    operators.push({ id, role: role as Role, passwordHash: hash });
  }
  return { operators };
}
