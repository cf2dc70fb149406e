/** Reads the endpoints `tools/devstack/devstack env` prints, for scripts and the integration setup. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/**
 * A service's own Kafka credentials, to overlay on the environment it is started with: under a SASL environment from
 * `devstack env` (whose KAFKA_SASL_PASSWORD_FILE is the tools user's, in the devstack's users dir), the service's SCRAM
 * user (named like its folder under apps/) and its password file next to the tools user's. Nothing under PLAINTEXT.
 * A service never runs with the tools user's credentials: a missing password file is an error.
 */
export function serviceKafkaCredentials(app: string, env: Record<string, string | undefined>): Record<string, string> {
  if (!env['KAFKA_SECURITY_PROTOCOL']?.startsWith('SASL_')) return {};
  const toolsPasswordFile = env['KAFKA_SASL_PASSWORD_FILE'];
  if (!toolsPasswordFile)
    throw new Error(`cannot give ${app} its own Kafka credentials: KAFKA_SASL_PASSWORD_FILE (the devstack's) is not set`);
  const passwordFile = join(dirname(toolsPasswordFile), `${app}.password`);
  if (!existsSync(passwordFile))
    throw new Error(`no Kafka credentials for ${app} in ${dirname(toolsPasswordFile)}: run tools/devstack/devstack up`);
  return { KAFKA_SASL_USERNAME: app, KAFKA_SASL_PASSWORD_FILE: passwordFile };
}
