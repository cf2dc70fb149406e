/** The end-to-end benchmark's command line and its workloads. */
import type { StackApp } from '../../e2e/case-stack';
import {
  ADDRESS_UPDATE,
  DOCUMENT_COLLECTION,
  FAILED_PAYMENT,
  KYC_REFRESH,
  PAYMENT_PLAN,
  type Sample,
} from '../../e2e/samples';

export interface Args {
  n: number;
  inFlight: number;
  workflows: 'rest' | 'all';
  warmup: number;
  timeoutS: number;
  kafkaN: number;
  env: Partial<Record<StackApp, Record<string, string>>>;
  allServices: boolean;
  /**
   * Cases started per second (`--rate`), inFlight still the most open at once; unset: as fast as the platform takes
   * them (a new case as soon as one finishes). A paced run measures latency at a given load, not throughput.
   */
  rate?: number;
  /**
   * Tracing of the services: `off` (OTEL_SDK_DISABLED=true), `zipkin` (every span exported to the devstack's Zipkin),
   * `both` (a run with each, off first, and the overhead); unset leaves the environment as it is.
   */
  tracing?: TracingMode | 'both';
}

export type TracingMode = 'off' | 'zipkin';

/** The tracing modes a run measures, in order. */
export function tracingModes(args: Args): Array<TracingMode | undefined> {
  return args.tracing === 'both' ? ['off', 'zipkin'] : [args.tracing];
}

/** What every service of the stack gets for a tracing mode. */
export function tracingEnv(
  mode: TracingMode | undefined,
  env: Record<string, string>,
): Record<string, string> {
  if (mode === 'off') return { OTEL_SDK_DISABLED: 'true' };
  if (mode === 'zipkin') {
    const endpoint = env['ZIPKIN_ENDPOINT'];
    if (!endpoint)
      throw new Error(
        '--tracing zipkin needs ZIPKIN_ENDPOINT from the devstack (tools/devstack/devstack up)',
      );
    return { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'zipkin', ZIPKIN_ENDPOINT: endpoint };
  }
  return {};
}

export const APPS: StackApp[] = [
  'trigger-ingest',
  'orchestrator',
  'writeback-rest',
  'writeback-soap',
  'writeback-sftp',
];

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const args: Args = {
    n: 3000,
    inFlight: 200,
    workflows: 'rest',
    warmup: 100,
    timeoutS: 900,
    kafkaN: 20_000,
    // As deployed (deploy/k8s): published outbox messages are deleted as they are published. `--env` overrides.
    env: Object.fromEntries(APPS.map((app) => [app, { OUTBOX_RETENTION_MS: '0' }])),
    allServices: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--workflows') {
      const v = value();
      if (v !== 'rest' && v !== 'all') throw new Error(`--workflows must be rest or all, got ${v}`);
      args.workflows = v;
    } else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--timeout-s') args.timeoutS = Number(value());
    else if (a === '--kafka-n') args.kafkaN = Number(value());
    else if (a === '--all-services') args.allServices = true;
    else if (a === '--rate') {
      const v = Number(value());
      if (!Number.isFinite(v) || v <= 0 || v > 10_000)
        throw new Error(`--rate must be cases per second, > 0 and ≤ 10000, got ${v}`);
      args.rate = v;
    } else if (a === '--tracing') {
      const v = value();
      if (v !== 'off' && v !== 'zipkin' && v !== 'both')
        throw new Error(`--tracing must be off, zipkin or both, got ${v}`);
      args.tracing = v;
    } else if (a === '--env') {
      const m = /^([a-z-]+):([A-Z0-9_]+)=(.*)$/.exec(value());
      if (!m || !APPS.includes(m[1] as StackApp)) {
        throw new Error(`--env must be app:KEY=VALUE with app one of ${APPS.join(', ')}`);
      }
      const app = m[1] as StackApp;
      args.env[app] = { ...args.env[app], [m[2]!]: m[3]! };
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional[0] !== undefined) args.n = Number(positional[0]);
  if (positional[1] !== undefined) args.inFlight = Number(positional[1]);
  for (const [name, v, min] of [
    ['N', args.n, 50],
    ['inFlight', args.inFlight, 1],
    ['--warmup', args.warmup, 0],
    ['--timeout-s', args.timeoutS, 30],
    ['--kafka-n', args.kafkaN, 1000],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return args;
}

/** Workloads: the seed workflows' triggers and the action each case takes (tools/e2e/samples.ts). */
export const WORKLOADS: Record<Args['workflows'], Sample[]> = {
  rest: [DOCUMENT_COLLECTION, KYC_REFRESH],
  all: [FAILED_PAYMENT, PAYMENT_PLAN, KYC_REFRESH, ADDRESS_UPDATE, DOCUMENT_COLLECTION],
};
