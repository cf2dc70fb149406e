/**
 * The main job's writeback-request signing keys: the orchestrator signs every writeback.requested, the writeback
 * services trust its public key only (docs/security/signed-messages.md). A fresh Ed25519 pair per run, in a temp
 * directory outside the repository; kept while services of this run are still up (a restarted writeback service must
 * trust the key the running orchestrator signs with), replaced once everything was stopped (`npm run stop`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRequestSigning } from '@closeout/kafka';
import { platformServices, runningPid } from './services';

const stateFile = join(tmpdir(), `closeout-demo-${process.getuid?.() ?? 'user'}`, 'request-signing.json');

interface Stored {
  orchestratorEnv: Record<string, string>;
  writebackEnv: Record<string, string>;
}

let current: Stored | undefined;

function load(): Stored {
  if (current) return current;
  const anyRunning = platformServices.some((s) => runningPid(s.name) !== undefined);
  if (anyRunning && existsSync(stateFile)) {
    const stored = JSON.parse(readFileSync(stateFile, 'utf8')) as Stored;
    if (existsSync(stored.orchestratorEnv['WRITEBACK_REQUEST_SIGNING_KEY_FILE'] ?? ''))
      return (current = stored);
  }
  const fresh = localRequestSigning('demo-orchestrator');
  current = { orchestratorEnv: fresh.orchestratorEnv, writebackEnv: fresh.writebackEnv };
  mkdirSync(join(stateFile, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(stateFile, JSON.stringify(current), { mode: 0o600 });
  return current;
}

/** What `service` gets: the private key for the orchestrator, the public key for the writeback services, else nothing. */
export function demoSigningEnv(service: string): Record<string, string> {
  if (service === 'orchestrator') return load().orchestratorEnv;
  if (service.startsWith('writeback-')) return load().writebackEnv;
  return {};
}
