/**
 * Jest global setup of the `browser` project: the integration project's (the devstack's Kafka, registry, PostgreSQL,
 * sshd and SMTP sink resolved once per run), then a check that chromium is there, failing the run at once with what to
 * run when it is not — browser tests are never skipped.
 */
import { execFileSync } from 'node:child_process';
import integrationGlobalSetup from '../jest/integration-global-setup';
import { chromiumPath } from './browser';

export default async function browserGlobalSetup(): Promise<void> {
  const binary = chromiumPath();
  let version: string;
  try {
    version = execFileSync(binary, ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch (err) {
    throw new Error(
      `Chromium at ${binary} does not start (${(err as Error).message.split('\n')[0]}): run tools/browser/ensure-chromium`,
    );
  }
  console.log(`\n[browser] ${version} (${binary})`);
  await integrationGlobalSetup();
}
