/**
 * What an operations team gets from the main job: the ops console (its own process, with a demo operator made for
 * the run), every service exporting its spans to the devstack's Zipkin, and Prometheus scraping every service.
 *
 * The console's tokens are random per run and each is handed only to the console and to the one service that checks
 * it; the demo operator's password is made for the run and printed once, with the console's URL.
 */
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../apps/ops-console/src/auth/passwords';
import { formatTargets, waitForServiceTargets, type ServiceTarget } from '../ops/prometheus-targets';
import { say } from './clock';
import { runningPid, services, startProcess, stopService, waitForExit, waitUntilReady } from './services';

export const CONSOLE_PORT = services.find((s) => s.name === 'ops-console')!.port;
export const consoleUrl = `http://127.0.0.1:${CONSOLE_PORT}/`;
const CONSOLE_PRINCIPAL = 'ops-console';
export const DEMO_OPERATOR = 'demo';

/** The console's credentials for the run: its tokens at the orchestrator, reconciler and audit-exporter, and the demo login. */
export interface ConsoleSecrets {
  orchestratorToken: string;
  reconcilerToken: string;
  auditToken: string;
  demoPassword: string;
}

export function consoleSecrets(): ConsoleSecrets {
  const token = (): string => randomBytes(32).toString('base64url');
  return {
    orchestratorToken: token(),
    reconcilerToken: token(),
    auditToken: token(),
    demoPassword: randomBytes(12).toString('base64url'),
  };
}

/** `name=token` entries the services that answer the console add to their API token lists. */
export const consoleTokenEntry = (token: string): string => `${CONSOLE_PRINCIPAL}=${token}`;

/** Settings the services get for operations: the orchestrator lets the console act for the signed-in agent; spans go to Zipkin. */
export function operationsServiceEnv(env: Record<string, string>): Record<string, string> {
  return {
    ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS: CONSOLE_PRINCIPAL,
    OTEL_TRACES_EXPORTER: 'zipkin',
    ZIPKIN_ENDPOINT: env['ZIPKIN_ENDPOINT']!,
  };
}

/**
 * Starts the console (after the services it reads: the orchestrator answering is its readiness). A console left
 * running by an earlier run is stopped first: its operator and tokens were that run's.
 */
export async function startConsole(
  env: Record<string, string>,
  secrets: ConsoleSecrets,
  urls: { orchestrator: string; reconciler: string; audit: string },
): Promise<void> {
  if (runningPid('ops-console') !== undefined) {
    stopService('ops-console');
    if (!(await waitForExit('ops-console', 10_000))) stopService('ops-console', 'SIGKILL');
  }
  startProcess('ops-console', 'apps/ops-console/src/main.ts', [], {
    SERVICE_NAME: 'ops-console',
    HTTP_PORT: String(CONSOLE_PORT),
    LOG_LEVEL: 'info',
    CONSOLE_OPERATORS: `${DEMO_OPERATOR}:agent:${await hashPassword(secrets.demoPassword)}`,
    ORCHESTRATOR_URL: urls.orchestrator,
    CONSOLE_ORCHESTRATOR_TOKEN: secrets.orchestratorToken,
    RECONCILER_URL: urls.reconciler,
    CONSOLE_RECONCILER_TOKEN: secrets.reconcilerToken,
    AUDIT_URL: urls.audit,
    CONSOLE_AUDIT_TOKEN: secrets.auditToken,
    PROMETHEUS_URL: env['PROMETHEUS_URL']!,
    ALERTMANAGER_URL: env['ALERTMANAGER_URL']!,
    ZIPKIN_UI_URL: env['ZIPKIN_URL']!,
    // its own spans (sign-in, pages, the calls to the services) go to Zipkin like the services'
    OTEL_TRACES_EXPORTER: 'zipkin',
    ZIPKIN_ENDPOINT: env['ZIPKIN_ENDPOINT']!,
  });
  say(`ops-console starting on :${CONSOLE_PORT}`);
  await waitUntilReady('ops-console', CONSOLE_PORT, 120_000);
}

/** Waits (up to a minute) until Prometheus has scraped every service, and prints each target. */
export async function checkScrapeTargets(env: Record<string, string>): Promise<ServiceTarget[]> {
  const targets = await waitForServiceTargets(env['PROMETHEUS_URL']!, 60_000);
  const up = targets.filter((t) => t.health === 'up').length;
  say(
    `Prometheus (${env['PROMETHEUS_URL']}) scrapes ${up} of ${targets.length} services:\n${formatTargets(targets)}`,
  );
  return targets;
}

export interface CaseTrace {
  traceId: string;
  spans: number;
  services: string[];
  url: string;
}

interface ZipkinSpan {
  traceId: string;
  localEndpoint?: { serviceName?: string };
}

/**
 * The trace of one case from Zipkin: the traces tagged with its case id (a case's work keeps one trace id from the
 * trigger to its completion), the one with the most spans. Spans reach Zipkin in batches a few seconds apart: it waits
 * up to `timeoutMs` for the trace to stop growing.
 */
export async function caseTrace(
  zipkinUrl: string,
  caseId: string,
  timeoutMs = 20_000,
): Promise<CaseTrace | undefined> {
  const query = new URL('/api/v2/traces', zipkinUrl);
  query.searchParams.set('annotationQuery', `closeout.case_id=${caseId}`);
  query.searchParams.set('lookback', String(6 * 3600_000));
  query.searchParams.set('limit', '20');
  const deadline = Date.now() + timeoutMs;
  let last: CaseTrace | undefined;
  for (;;) {
    const res = await fetch(query, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (res?.ok) {
      const traces = (await res.json()) as ZipkinSpan[][];
      const biggest = traces.sort((a, b) => b.length - a.length)[0];
      if (biggest && biggest.length > 0) {
        const found: CaseTrace = {
          traceId: biggest[0]!.traceId,
          spans: biggest.length,
          services: [...new Set(biggest.map((s) => s.localEndpoint?.serviceName ?? '?'))].sort(),
          url: `${zipkinUrl}/zipkin/traces/${biggest[0]!.traceId}`,
        };
        if (last && last.traceId === found.traceId && last.spans === found.spans) return found;
        last = found;
      }
    }
    if (Date.now() >= deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}
