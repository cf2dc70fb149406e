/**
 * Where the time goes: Prometheus text from each service, /proc CPU of everything on the machine, and what the
 * services' PostgreSQL connections are doing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Client } from 'pg';
import { now } from './stats';

export type Samples = Map<string, number>;

export async function scrape(port: number): Promise<Samples> {
  const out: Samples = new Map();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    for (const line of (await res.text()).split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      const v = Number(line.slice(space + 1));
      if (Number.isFinite(v)) out.set(line.slice(0, space), v);
    }
  } catch {
    // A scrape that fails leaves its figures out of the breakdown; the run's own figures do not depend on it.
  }
  return out;
}

function labelsOf(series: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const m = /\{(.*)\}$/.exec(series);
  if (m) for (const [, k, v] of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
  return labels;
}

/** Sum of after − before over the series of `name` whose labels pass `where`. */
export function delta(
  before: Samples,
  after: Samples,
  name: string,
  where: (l: Record<string, string>) => boolean = () => true,
): number {
  let total = 0;
  for (const [series, v] of after) {
    const base = series.split('{')[0];
    if (base !== name || !where(labelsOf(series))) continue;
    total += v - (before.get(series) ?? 0);
  }
  return total;
}

export function seriesLabels(s: Samples, name: string): Record<string, string>[] {
  return [...s.keys()].filter((k) => k.split('{')[0] === name).map(labelsOf);
}

export const CLK_TCK = 100;

export interface CpuSnapshot {
  at: number;
  machineBusy: number;
  machineTotal: number;
  pids: Map<number, { comm: string; cmd: string; ticks: number }>;
}

export function cpuSnapshot(): CpuSnapshot {
  const stat = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = stat.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (stat[3] ?? 0) + (stat[4] ?? 0);
  const pids = new Map<number, { comm: string; cmd: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = raw.lastIndexOf(')');
      const comm = raw.slice(raw.indexOf('(') + 1, close);
      const fields = raw
        .slice(close + 2)
        .split(' ')
        .map((f) => Number(f));
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat; fields[0] here is field 3.
      const ticks = (fields[11] ?? 0) + (fields[12] ?? 0);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      pids.set(Number(entry), { comm, cmd, ticks });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return { at: now(), machineBusy: total - idle, machineTotal: total, pids };
}

/**
 * What the services' PostgreSQL connections are doing, sampled from pg_stat_activity every 100 ms. A backend is
 * matched to its service by its client port: the service's socket inodes (/proc/<pid>/fd) looked up in
 * /proc/net/tcp. "idle in transaction" is a transaction held open while the service does something else (its own
 * CPU, an event-loop queue, a Kafka send inside the transaction); "Lock" is a wait on another transaction's row lock.
 */
export class DbActivity {
  private readonly db: Client;
  private readonly counts = new Map<string, Map<string, number>>();
  private samples = 0;
  private ports = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    databaseUrl: string,
    private readonly pids: () => Map<number, string>,
  ) {
    this.db = new Client({ connectionString: databaseUrl, application_name: 'e2e-bench-sampler' });
  }

  async start(): Promise<void> {
    await this.db.connect();
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    let refreshedAt = 0;
    while (!this.stopping) {
      if (now() - refreshedAt > 2_000) {
        this.ports = clientPortsOf(this.pids());
        refreshedAt = now();
      }
      const rows = (
        await this.db.query<{
          port: number;
          state: string | null;
          wtype: string | null;
          wevent: string | null;
        }>(
          `SELECT client_port AS port, state, wait_event_type AS wtype, wait_event AS wevent
           FROM pg_stat_activity WHERE client_port IS NOT NULL AND backend_type = 'client backend'`,
        )
      ).rows;
      this.samples += 1;
      for (const r of rows) {
        const app = this.ports.get(r.port);
        if (!app) continue;
        const state =
          r.state === 'active'
            ? r.wtype
              ? `active, waiting ${r.wtype}${r.wtype === 'Lock' || r.wtype === 'IO' ? '' : `/${r.wevent}`}`
              : 'active (running SQL)'
            : (r.state ?? 'unknown');
        const m = this.counts.get(app) ?? new Map<string, number>();
        m.set(state, (m.get(state) ?? 0) + 1);
        this.counts.set(app, m);
      }
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, 100);
      });
    }
  }

  /** Average number of each service's connections in each state over the samples. */
  async stop(): Promise<Map<string, [string, number][]>> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.wakeUp?.();
    await this.running?.catch(() => undefined);
    await this.db.end().catch(() => undefined);
    const out = new Map<string, [string, number][]>();
    for (const [app, m] of this.counts) {
      out.set(
        app,
        [...m]
          .map(([state, n]) => [state, n / Math.max(1, this.samples)] as [string, number])
          .sort((a, b) => b[1] - a[1]),
      );
    }
    return out;
  }
}

/** Local TCP port → app, for every socket the given processes hold. */
function clientPortsOf(pids: Map<number, string>): Map<number, string> {
  const inodes = new Map<string, string>();
  for (const [pid, app] of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.set(m[1]!, app);
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  const out = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[] = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const app = f[9] === undefined ? undefined : inodes.get(f[9]);
      if (app) out.set(parseInt(f[1]!.split(':')[1]!, 16), app);
    }
  }
  return out;
}
