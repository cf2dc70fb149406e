/**
 * Resolves the real dependencies integration tests run against, once per Jest run:
 *  1. endpoints given in the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, SFTP_*, SMTP_*), if all set;
 *  2. else, where a Docker engine answers, containers started through testcontainers;
 *  3. else tools/devstack, started if needed (the path machines without Docker, and CI, take).
 * When none is available the run fails with a message saying what to start: integration tests are never skipped.
 */
import { execFileSync } from 'node:child_process';
import { startContainers } from './containers';
import { devstackCommand, parseExports } from '../devstack/devstack-env';

const required = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'DATABASE_URL',
  'SFTP_HOST',
  'SFTP_PORT',
  'SFTP_USERNAME',
  'SFTP_PRIVATE_KEY_PATH',
  'SFTP_HOST_PUBLIC_KEY_PATH',
  'SFTP_ROOT',
  'SMTP_HOST',
  'SMTP_PORT',
  'SMTP_SINK_URL',
];

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function applyEnv(exports: string): void {
  Object.assign(process.env, parseExports(exports));
}

export default async function globalSetup(): Promise<void> {
  if (required.every((v) => process.env[v])) {
    console.log('\n[integration] using endpoints from the environment');
  } else if (dockerAnswers()) {
    console.log('\n[integration] Docker answers: starting dependencies with testcontainers');
    applyEnv(await startContainers());
  } else {
    try {
      execFileSync(devstackCommand, ['status'], { stdio: 'pipe' });
    } catch {
      console.log('\n[integration] starting tools/devstack (no Docker engine here)');
      try {
        execFileSync(devstackCommand, ['up'], { stdio: 'inherit' });
      } catch {
        throw new Error(
          'Integration tests need Kafka, the schema registry, PostgreSQL, sshd and an SMTP server. Set KAFKA_BROKERS, ' +
            'SCHEMA_REGISTRY_URL, DATABASE_URL, SFTP_* and SMTP_* to running ones, start a Docker engine, or run ' +
            '`tools/devstack/devstack up` and read its log.',
        );
      }
    }
    applyEnv(execFileSync(devstackCommand, ['env'], { encoding: 'utf8' }));
  }
  const missing = required.filter((v) => !process.env[v]);
  if (missing.length > 0)
    throw new Error(`Integration environment incomplete: ${missing.join(', ')} not set`);
}
