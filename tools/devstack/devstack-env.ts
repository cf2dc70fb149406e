/** Reads the endpoints `tools/devstack/devstack env` prints, for scripts and the integration setup. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const devstackCommand = join(__dirname, 'devstack');

/** Parses `export VAR=value` lines (the format of `devstack env` and of the testcontainers setup). */
export function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return env;
}

export function devstackEnv(): Record<string, string> {
  return parseExports(execFileSync(devstackCommand, ['env'], { encoding: 'utf8' }));
}
