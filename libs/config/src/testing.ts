// Test support: what a service's config tests ask of its schema. Not exported from the library's index.
import type { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';

/** The problems `loadConfig` finds in `env`, one `variable: rule` line each; none when the configuration loads. */
export function configProblems(schema: z.ZodType, env: Record<string, string>): string[] {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.variable}: ${i.rule}`);
    throw error;
  }
  return [];
}
