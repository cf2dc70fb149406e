/**
 * Starts and stops Closeout's services as local processes (what Kubernetes does in deploy/), with logs and
 * pid files under .devstack/. Used by the main job, the fault harnesses and end-to-end tests.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
const runDir = join(repoRoot, '.devstack', 'services');

import { serviceKafkaCredentials } from '../devstack/devstack-env';
import { ensurePlatformBuild, serviceEntry } from '../build/platform-build';

export { devstackEnv, devstackCommand, serviceKafkaCredentials } from '../devstack/devstack-env';

export { services, platformServices, type ServiceName } from '@closeout/deploy';

export function pidFile(name: string): string {
  return join(runDir, `${name}.pid`);
}

export function logFile(name: string): string {
  return join(runDir, `${name}.log`);
}

export function runningPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * How a service's Node runs here. New space is capped at 16 MB per semi-space: V8 otherwise grows it to 64 MB on a
 * machine of this size and an idle service keeps it (about 90 MB of RSS); at 16 the end-to-end bench measured the
 * same CPU per case as uncapped, at 8 about 7% more (docs/performance.md). Two malloc arenas instead of one per
 * thread: glibc keeps freed memory per arena.
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16'] as const;
const SERVICE_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' };

/**
 * Starts one service in the background on Node 24 (the one in node_modules/.bin), logging to its file. It runs the
 * JavaScript of tools/build/platform-build.ts (built here when the sources changed since the last build), not
 * TypeScript compiled at load. `name` names the instance (pid and log files, default SERVICE_NAME); `options.app`
 * the folder under apps/ when they differ, so a harness can run its own instance of a service next to the main job's. Under the devstack's SASL listener the
 * service connects as its own Kafka user (`serviceKafkaCredentials`), never as the tools user of `env`.
 */
export function startService(
  name: string,
  port: number,
  env: Record<string, string>,
  options: { app?: string } = {},
): number {
  const app = options.app ?? name;
  const own = serviceKafkaCredentials(app, { ...process.env, ...env });
  return spawnNode(
    name,
    [...SERVICE_NODE_FLAGS, serviceEntry(ensurePlatformBuild(repoRoot), app)],
    { ...SERVICE_PROCESS_ENV, SERVICE_NAME: name, ...env, ...own, HTTP_PORT: String(port) },
    // An inline password would be the tools user's: the service reads its own from its file.
    own.KAFKA_SASL_USERNAME ? ['KAFKA_SASL_PASSWORD'] : [],
  );
}

/** Starts a TypeScript entry point of the workspace as a background process with pid and log files under `name`. */
export function startProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  /** Variables of this process's environment the child must not inherit. */
  withhold: string[] = [],
): number {
  return spawnNode(name, ['-r', '@swc-node/register', script, ...args], env, withhold);
}

function spawnNode(
  name: string,
  nodeArgs: string[],
  env: Record<string, string>,
  withhold: string[],
): number {
  mkdirSync(runDir, { recursive: true });
  const log = openSync(logFile(name), 'a');
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  const child = spawn(node, nodeArgs, {
    cwd: repoRoot,
    env: Object.fromEntries(
      // LOG_FILE is a test run's own log: a started process logs to its own file under .devstack/services.
      Object.entries({ ...process.env, ...env }).filter(([k]) => !withhold.includes(k) && k !== 'LOG_FILE'),
    ),
    stdio: ['ignore', log, log],
    detached: true,
  });
  child.unref();
  writeFileSync(pidFile(name), String(child.pid));
  return child.pid!;
}

export function stopService(name: string, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  const pid = runningPid(name);
  if (pid === undefined) return false;
  process.kill(pid, signal);
  if (signal === 'SIGKILL') rmSync(pidFile(name), { force: true });
  return true;
}

export async function waitForExit(name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (runningPid(name) === undefined) {
      rmSync(pidFile(name), { force: true });
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export interface Readiness {
  ready: boolean;
  status: number | string;
  checks?: Record<string, { ok: boolean; detail?: string }>;
}

export async function readiness(port: number): Promise<Readiness> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { checks?: Readiness['checks'] };
    return { ready: res.status === 200, status: res.status, ...(body.checks ? { checks: body.checks } : {}) };
  } catch (err) {
    return { ready: false, status: (err as Error).message };
  }
}

/**
 * Whether process `pid` holds the listening TCP socket on `port` (Linux /proc); undefined where that cannot be told.
 * Several suites pick free ports at once, and the kernel hands the same free port out again: a readiness answer on
 * our port may come from another suite's process while ours fails with EADDRINUSE.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let inodes: Set<string>;
  try {
    inodes = new Set(
      ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
        existsSync(table)
          ? readFileSync(table, 'utf8')
              .split('\n')
              .slice(1)
              .map((line) => line.trim().split(/\s+/))
              // local_address is ADDR:PORT in hex, st 0A is LISTEN, the inode is the tenth column.
              .filter((f) => f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '0A')
              .map((f) => f[9]!)
          : [],
      ),
    );
  } catch {
    return undefined;
  }
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
      } catch {
        return false;
      }
    });
  } catch {
    return undefined;
  }
}

export async function waitUntilReady(name: string, port: number, timeoutMs: number): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  let last: Readiness = { ready: false, status: 'not started' };
  while (Date.now() < deadline) {
    last = await readiness(port);
    const pid = runningPid(name);
    // Ready only when the answer is our process's: another process on the port is not this service.
    if (last.ready && pid !== undefined && listensOn(pid, port) !== false) return last;
    if (pid === undefined) {
      throw new Error(`${name} exited during startup; see ${logFile(name)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms (${JSON.stringify(last)}); see ${logFile(name)}`);
}
