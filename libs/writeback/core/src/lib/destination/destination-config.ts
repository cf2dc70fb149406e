import { ConfigError } from '@closeout/config';
import { z } from 'zod';

/** `destinations[0].timeouts.connectMs` from `['destinations', 0, 'timeouts', 'connectMs']`. */
function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    root,
  );
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown, root: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: fieldPath(root, issue.path), rule: issue.message })),
    );
  }
  return parsed.data;
}

/**
 * The one parser of a service's destinations, whatever the protocol: an array of the protocol's destination schema,
 * names unique, and a `ConfigError` naming every failing field and its rule (`destinations[0].baseUrl: must be an
 * http(s) URL`).
 */
export function parseDestinationList<T extends { name: string }>(
  schema: z.ZodType<T>,
  input: unknown,
  what: string,
): T[] {
  const list = z.array(schema, { error: `must be an array of ${what}` }).superRefine((destinations, ctx) => {
    const firstIndex = new Map<string, number>();
    destinations.forEach(({ name }, index) => {
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `must be unique: "${name}" is also the name of destinations[${first}]`,
        });
    });
  });
  return parseWith(list, input, 'destinations');
}

/** One destination; problems are named from `destination` (e.g. `destination.auth.token`). */
export function parseOneDestination<T>(schema: z.ZodType<T>, input: unknown): T {
  return parseWith(schema, input, 'destination');
}
