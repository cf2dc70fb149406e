/**
 * Whether Prometheus scrapes every Closeout service: reads Prometheus's /api/v1/targets and reports, per service of
 * deploy/service-catalog.ts, whether its target is up (its last scrape of /metrics succeeded), down (with the scrape
 * error) or missing (Prometheus has no target for it).
 *
 *   node -r @swc-node/register tools/ops/prometheus-targets.ts [--wait 60] [--url http://127.0.0.1:19090]
 *
 * The URL defaults to PROMETHEUS_URL (`tools/devstack/devstack env` prints it). --wait polls until every service is
 * up or the seconds run out (a target is `unknown` until its first scrape). Exit 0 when every service is up, 1 when
 * not, 2 when Prometheus cannot be asked.
 */
import { services } from '../../deploy/service-catalog';

export type TargetHealth = 'up' | 'down' | 'unknown' | 'missing';

export interface ServiceTarget {
  service: string;
  health: TargetHealth;
  scrapeUrl: string | null;
  lastError: string | null;
  lastScrape: string | null;
}

interface ApiTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

/** Each catalog service's target as Prometheus sees it now. */
export async function serviceTargets(prometheusUrl: string): Promise<ServiceTarget[]> {
  const res = await fetch(new URL('/api/v1/targets?state=active', prometheusUrl), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${prometheusUrl}/api/v1/targets answered ${res.status}`);
  const body = (await res.json()) as { status: string; data: { activeTargets: ApiTarget[] } };
  if (body.status !== 'success') throw new Error(`${prometheusUrl}/api/v1/targets answered status ${body.status}`);
  return services.map(({ name }) => {
    const t = body.data.activeTargets.find((a) => a.labels['service'] === name);
    if (!t) return { service: name, health: 'missing' as const, scrapeUrl: null, lastError: null, lastScrape: null };
    return {
      service: name,
      health: t.health,
      scrapeUrl: t.scrapeUrl,
      lastError: t.lastError || null,
      lastScrape: t.lastScrape,
    };
  });
}

/** Polls until every service's target is up, or `timeoutMs` passes; returns the last view either way. */
export async function waitForServiceTargets(prometheusUrl: string, timeoutMs: number): Promise<ServiceTarget[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const targets = await serviceTargets(prometheusUrl);
    if (targets.every((t) => t.health === 'up') || Date.now() >= deadline) return targets;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** One line per service: `  trigger-ingest      up    http://127.0.0.1:3001/metrics`. */
export function formatTargets(targets: readonly ServiceTarget[]): string {
  return targets
    .map((t) =>
      `  ${t.service.padEnd(18)} ${t.health.padEnd(7)} ${t.scrapeUrl ?? '-'}${t.lastError ? `  (${t.lastError})` : ''}`.trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const url = option('--url') ?? process.env['PROMETHEUS_URL'];
  if (!url) {
    console.error('prometheus-targets: no Prometheus URL: pass --url or set PROMETHEUS_URL (tools/devstack/devstack env)');
    process.exitCode = 2;
    return;
  }
  const waitSeconds = Number(option('--wait') ?? '0');
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    console.error(`prometheus-targets: --wait must be a number of seconds ≥ 0, got '${option('--wait')}'`);
    process.exitCode = 2;
    return;
  }
  let targets: ServiceTarget[];
  try {
    targets = await waitForServiceTargets(url, waitSeconds * 1000);
  } catch (error) {
    console.error(`prometheus-targets: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const up = targets.filter((t) => t.health === 'up').length;
  console.log(`Prometheus ${url}: ${up} of ${targets.length} services scraped and up`);
  console.log(formatTargets(targets));
  process.exitCode = up === targets.length ? 0 : 1;
}

if (require.main === module) void main();
