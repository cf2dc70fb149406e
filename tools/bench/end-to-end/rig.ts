/**
 * Setting up and tearing down what the benchmark runs on: the case stack (tools/e2e/case-stack.ts, PATIENT_CADENCE,
 * no faults), the bench's own Kafka watcher, keep-alive HTTP to trigger-ingest, Ctrl-C handling, a hard stop if
 * stopping hangs, and the stack's PostgreSQL schemas dropped afterwards (kept with BENCH_KEEP=1).
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import axios from 'axios';
import { Topics } from '@closeout/contracts';
import { KafkaClient, kafkaConnectionFromEnv } from '@closeout/kafka';
import { stopService } from '../../demo/services';
import { CaseStack, PATIENT_CADENCE, type StackApp, type WritebackApp } from '../../e2e/case-stack';
import { dropSchemas } from './analysis';
import { APPS, type Args } from './args';
import { Bench, followCases } from './driver';

/** REST-only runs start writeback-rest alone unless --all-services says otherwise. */
export function writebackServicesFor(args: Args): WritebackApp[] {
  return args.workflows === 'all' || args.allServices
    ? ['writeback-rest', 'writeback-soap', 'writeback-sftp']
    : ['writeback-rest'];
}

export class BenchRig {
  readonly stack: CaseStack;
  private readonly watcher: KafkaClient;
  private readonly agent: Agent;
  private readonly hardStop: NodeJS.Timeout;
  private readonly onSignal = () => {
    if (this.bench) this.bench.abortReason = 'interrupted';
  };
  private bench: Bench | undefined;

  constructor(
    private readonly env: Record<string, string>,
    private readonly args: Args,
    private readonly writebackServices: WritebackApp[],
  ) {
    const profileDir = process.env['BENCH_PROFILE_DIR'];
    const extraEnv: Partial<Record<StackApp, Record<string, string>>> = {};
    for (const app of APPS) {
      extraEnv[app] = {
        ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
        ...args.env[app],
      };
    }
    this.stack = new CaseStack({
      env,
      cadence: PATIENT_CADENCE,
      writebackServices,
      extraEnv,
      watch: false,
      log: (line) => console.log(`  ${line}`),
    });
    this.watcher = new KafkaClient({
      clientId: `e2e-bench-${randomUUID().slice(0, 6)}`,
      ...kafkaConnectionFromEnv(env),
      schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
      topics: [
        Topics.caseTriggered,
        Topics.outreachRequested,
        Topics.writebackRequested,
        Topics.writebackResult,
        Topics.caseState,
      ],
    });
    this.agent = new Agent({ keepAlive: true, maxSockets: args.inFlight });
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    // The last resort if stopping itself hangs: kill what was started, then leave.
    this.hardStop = setTimeout(
      () => {
        console.error('hard timeout: killing the stack');
        for (const i of this.stack.instanceList()) stopService(i.name, 'SIGKILL');
        process.exit(2);
      },
      args.timeoutS * 1000 + 180_000,
    );
    this.hardStop.unref();
  }

  /** The stack (its services booting at once), the watcher, and the driver following the cases. */
  async start(): Promise<Bench> {
    console.log('starting the stack (its services booting at once) …');
    await this.stack.start();
    await this.watcher.start();
    const http = axios.create({
      baseURL: this.stack.ingestUrl,
      httpAgent: this.agent,
      timeout: 30_000,
      validateStatus: () => true,
    });
    this.bench = new Bench(this.stack, http, this.args);
    await followCases(this.watcher, this.bench);
    return this.bench;
  }

  /** The writeback services' ledger schemas of this stack. */
  writebackSchemas(): string[] {
    return this.writebackServices.map((s) => `wb_${s.slice('writeback-'.length)}_it_${this.stack.runId}`);
  }

  /** Stops everything it started, on success, error or Ctrl-C alike. */
  async close(): Promise<void> {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    this.agent.destroy();
    await this.watcher.close().catch((e: unknown) => console.error('closing the watcher:', e));
    await this.stack.close().catch((e: unknown) => console.error('closing the stack:', e));
    if (process.env['BENCH_KEEP'] !== '1') {
      await dropSchemas(this.env['DATABASE_URL']!, [
        `orch_it_${this.stack.runId}`,
        ...this.writebackSchemas(),
      ]).catch((e: unknown) => console.error('dropping the stack schemas:', e));
    }
    clearTimeout(this.hardStop);
  }
}
