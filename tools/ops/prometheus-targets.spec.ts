import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { services } from '../../deploy/service-catalog';
import { formatTargets, serviceTargets } from './prometheus-targets';

const repoRoot = join(__dirname, '..', '..');

/** What the devstack's Prometheus is told to scrape: `prometheus_catalog` of tools/devstack/lib/prometheus.sh. */
function devstackCatalog(env: Record<string, string> = {}): string[][] {
  const script = [
    'is_root() { return 1; }',
    `REPO_ROOT=${JSON.stringify(repoRoot)} STATE_DIR=/nonexistent LOG_DIR=/nonexistent`,
    'source tools/devstack/lib/prometheus.sh',
    'prometheus_catalog',
  ].join('\n');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
}

describe('the devstack scrape targets', () => {
  it('are every app of deploy/service-catalog.ts at its port, the ops console included', () => {
    expect(devstackCatalog()).toEqual(services.map((s) => [s.name, String(s.port)]));
    expect(devstackCatalog()).toContainEqual(['ops-console', '3010']);
  });

  it('move to CLOSEOUT_PORT_<SERVICE> when it is set', () => {
    expect(devstackCatalog({ CLOSEOUT_PORT_OPS_CONSOLE: '4010' })).toContainEqual(['ops-console', '4010']);
  });
});

describe('serviceTargets', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  /** Prometheus's /api/v1/targets answer with one target per service named, each `up`. */
  function prometheusWith(names: readonly string[], health: Record<string, 'up' | 'down'> = {}): void {
    const activeTargets = names.map((name) => ({
      labels: { service: name, job: 'closeout' },
      scrapeUrl: `http://127.0.0.1:${services.find((s) => s.name === name)!.port}/metrics`,
      health: health[name] ?? 'up',
      lastError: health[name] === 'down' ? 'connection refused' : '',
      lastScrape: '2026-01-01T00:00:00Z',
    }));
    global.fetch = jest.fn(async () =>
      Response.json({ status: 'success', data: { activeTargets } }),
    ) as unknown as typeof fetch;
  }

  it('reports the ops console with the nine services', async () => {
    prometheusWith(services.map((s) => s.name));
    const targets = await serviceTargets('http://prometheus.test:9090');
    expect(targets.map((t) => [t.service, t.health])).toEqual(services.map((s) => [s.name, 'up']));
    expect(targets.find((t) => t.service === 'ops-console')?.scrapeUrl).toBe('http://127.0.0.1:3010/metrics');
  });

  it('names a console Prometheus does not scrape as missing, and one it cannot reach as down', async () => {
    prometheusWith(services.map((s) => s.name).filter((n) => n !== 'ops-console'));
    const missing = await serviceTargets('http://prometheus.test:9090');
    expect(missing.find((t) => t.service === 'ops-console')).toEqual(
      expect.objectContaining({ health: 'missing', scrapeUrl: null }),
    );
    prometheusWith(
      services.map((s) => s.name),
      { 'ops-console': 'down' },
    );
    const down = await serviceTargets('http://prometheus.test:9090');
    expect(formatTargets(down)).toContain(
      'ops-console        down    http://127.0.0.1:3010/metrics  (connection refused)',
    );
  });
});
