import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topics, type Protocol } from '@closeout/contracts';
import {
  EventPublisher,
  EventSubscriber,
  type ConsumerTuning,
  type RecordVerifier,
  type Subscription,
} from '@closeout/kafka';
import { ReadinessRegistry } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import {
  defaultMappingRegistry,
  type MappingRegistry,
  type RetryPolicyConfig,
} from '@closeout/writeback-domain';
import { DestinationBreaker, type DestinationBreakerOptions } from '../breaker/destination-breaker';
import type { WritebackDestination } from '../destination/writeback-destination';
import { LedgerRepository } from '../ledger/ledger.repository';
import { OutboxRelay } from '@closeout/outbox';
import { WritebackCommandHandler } from '../worker/writeback-commands';
import { WritebackIntake } from '../worker/writeback-intake';
import { unauthenticatedAuditMessage } from '../worker/writeback-messages';
import { registerLedgerGauges, WritebackMetrics } from '../worker/writeback-metrics';
import { WritebackWorker, type WorkerDestination } from '../worker/writeback-worker';

export type BreakerSettings = Omit<
  DestinationBreakerOptions,
  'destination' | 'probe' | 'onStateChange' | 'now'
>;

export interface WritebackServiceOptions {
  /** The service name: audit actor and consumer group prefix. */
  service: string;
  protocol: Protocol;
  /** Built at boot from validated config; closed at shutdown. */
  destinations: ReadonlyArray<{
    destination: WritebackDestination;
    policy: RetryPolicyConfig;
    breaker?: BreakerSettings;
    /** Use another destination's mappings. */
    mappingsOf?: string;
  }>;
  mappings?: MappingRegistry;
  worker?: { concurrency?: number; batchSize?: number; leaseMs?: number; idlePollMs?: number };
  /** Partitions of writeback.requested admitted at once (order within a partition is kept). */
  intakePartitionsConcurrently?: number;
  /** Group membership tuning of the writeback.requested consumer. */
  intakeConsumer?: Omit<ConsumerTuning, 'partitionsConcurrently'>;
  /** How long a published outbox message is kept (the relay's default, 24 h, when absent). */
  outboxRetentionMs?: number;
  /**
   * The orchestrator's public keys: a writeback.requested not signed by one of them is dead-lettered
   * (`unauthenticated`), audited and counted before it is even decoded, never admitted (docs/security/signed-messages.md).
   */
  requestVerifier: RecordVerifier;
  /** See `WritebackIntakeOptions.unserved`: `report` (default) or `skip` where another deployment reports. */
  unservedRequests?: 'report' | 'skip';
}

const OPTIONS = Symbol('WRITEBACK_SERVICE_OPTIONS');

/**
 * Runs one writeback service's side of the ledger protocol: the `writeback.requested` consumer admitting requests,
 * the worker claiming and sending, one circuit breaker per destination, and the outbox relay publishing results and
 * audit events. The protocol lives entirely in the `WritebackDestination`s the app passes in.
 *
 * Shutdown order: Kafka consumers stop first (the Kafka module, on module destroy), then the worker finishes the
 * calls in flight and the relay drains the outbox (before application shutdown, while the producer and the
 * database are still open), then the destinations close.
 */
@Injectable()
export class WritebackService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('writeback.service');
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly ledger: LedgerRepository;
  readonly metrics = new WritebackMetrics();
  readonly breakers = new Map<string, DestinationBreaker>();
  readonly worker: WritebackWorker;
  readonly intake: WritebackIntake;
  readonly relay: OutboxRelay;
  readonly commands: WritebackCommandHandler;
  private subscription: Subscription | undefined;
  private commandSubscription: Subscription | undefined;

  constructor(
    @Inject(OPTIONS) private readonly options: WritebackServiceOptions,
    dataSource: DataSource,
    publisher: EventPublisher,
    private readonly subscriber: EventSubscriber,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.ledger = new LedgerRepository(dataSource);
    const mappings = options.mappings ?? defaultMappingRegistry;
    const workerDestinations = new Map<string, WorkerDestination>();
    const mappingsOf = new Map<string, string>();
    for (const { destination, policy, breaker: settings, mappingsOf: alias } of options.destinations) {
      if (alias !== undefined) mappingsOf.set(destination.name, alias);
      const breaker = new DestinationBreaker({
        ...settings,
        destination: destination.name,
        probe: () => destination.probe(),
        onStateChange: (change) => {
          this.metrics.setBreakerState(change.destination, change.to);
          const line = {
            destination: change.destination,
            from: change.from,
            to: change.to,
            reason: change.reason,
          };
          if (change.to === 'open')
            this.log.warn(line, 'destination degraded: circuit open, writebacks wait in the ledger');
          else this.log.info(line, `circuit ${change.to}`);
          if (change.to === 'closed') this.worker.wake();
        },
      });
      this.metrics.breakerState.labels({ destination: destination.name }).set(0);
      this.breakers.set(destination.name, breaker);
      workerDestinations.set(destination.name, {
        destination,
        breaker,
        policy,
        ...(alias === undefined ? {} : { mappingsOf: alias }),
      });
    }
    this.worker = new WritebackWorker({
      service: options.service,
      workerId: this.workerId,
      ledger: this.ledger,
      destinations: workerDestinations,
      mappings,
      metrics: this.metrics,
      logger: createLogger('writeback.worker'),
      ...options.worker,
    });
    this.intake = new WritebackIntake({
      service: options.service,
      protocol: options.protocol,
      destinations: new Set(workerDestinations.keys()),
      ledger: this.ledger,
      mappings,
      metrics: this.metrics,
      mappingsOf,
      ...(options.unservedRequests ? { unserved: options.unservedRequests } : {}),
      onAdmitted: () => this.worker.wake(),
    });
    this.commands = new WritebackCommandHandler({
      service: options.service,
      protocol: options.protocol,
      destinations: new Set(workerDestinations.keys()),
      ledger: this.ledger,
      metrics: this.metrics,
      onMarked: () => this.worker.wake(),
      // A false failure the reconciler found is settled only on the destination's own word, asked as the worker asks.
      lookup: (name, query) => {
        const target = workerDestinations.get(name);
        return target
          ? target.breaker.execute(() => target.destination.lookup(query))
          : Promise.resolve({ kind: 'inconclusive', reason: `${name} is not served here` });
      },
    });
    this.relay = new OutboxRelay({
      dataSource,
      publish: (messages) => publisher.publishMany(messages),
      logger: createLogger('writeback.outbox'),
      ...(options.outboxRetentionMs !== undefined ? { retentionMs: options.outboxRetentionMs } : {}),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    registerLedgerGauges(this.ledger);
    // Ready once the intake consumer knows where it reads from: a request published after that is never missed.
    let positioned = false;
    this.readiness.register({
      name: 'writeback-intake',
      check: () => {
        const s = this.subscription;
        if (!s) return Promise.resolve({ ok: false, detail: 'writeback.requested consumer not started' });
        if (s.failure !== undefined) return Promise.resolve({ ok: false, detail: s.failure });
        if (this.commandSubscription?.failure !== undefined)
          return Promise.resolve({ ok: false, detail: this.commandSubscription.failure });
        return Promise.resolve(
          positioned ? { ok: true } : { ok: false, detail: 'writeback.requested consumer joining its group' },
        );
      },
    });
    await this.relay.start();
    this.worker.start();
    this.subscription = await this.subscriber.subscribe({
      groupId: `${this.options.service}.writeback-requested`,
      topic: Topics.writebackRequested,
      fromBeginning: true,
      consumer: {
        ...this.options.intakeConsumer,
        partitionsConcurrently: this.options.intakePartitionsConcurrently ?? 6,
      },
      // Before decoding: only the orchestrator's signature makes a request something to act on.
      authenticate: this.options.requestVerifier.authenticator((refusal, record) => {
        this.metrics.unauthenticated.labels({ refusal: refusal.refusal }).inc();
        this.log.warn(
          { topic: record.topic, partition: record.partition, offset: record.offset, refusal: refusal.refusal },
          'writeback.requested refused: not signed by a trusted key; dead-lettered, nothing admitted',
        );
        // The DLQ record is the durable evidence; the audit event goes through the outbox like every other.
        this.ledger
          .enqueue([unauthenticatedAuditMessage(this.options.service, record, refusal, Date.now())])
          .catch((error: unknown) =>
            this.log.error({ err: error, offset: record.offset }, 'audit of a refused writeback.requested failed'),
          );
      }),
      // A partition batch at a time: one multi-row admission per batch instead of one commit per request.
      batchHandler: async (messages) => {
        const outcomes = await this.intake.handleMany(messages.map((m) => m.value));
        // Refused and unserved requests were answered and audited already; the originals go to the DLQ with the
        // reason so nothing is lost.
        return messages.flatMap((message, i) => {
          const outcome = outcomes[i]!;
          if (outcome.kind === 'rejected')
            return [{ message, reason: `writeback request refused: ${outcome.error.message}` }];
          if (outcome.kind === 'unserved')
            return [{ message, reason: `unserved: ${outcome.reason}`, reasonClass: 'unserved' as const }];
          return [];
        });
      },
    });
    void this.subscription.whenPositioned().then(() => (positioned = true));
    // The reconciler's commands: one at a time, each acted on once per command id (see WritebackCommandHandler).
    this.commandSubscription = await this.subscriber.subscribe({
      groupId: `${this.options.service}.writeback-command`,
      topic: Topics.writebackCommand,
      fromBeginning: true,
      ...(this.options.intakeConsumer ? { consumer: this.options.intakeConsumer } : {}),
      handler: async ({ value }) => {
        const handling = await this.commands.handle(value);
        if (handling.kind === 'handled') {
          this.log.info(
            {
              commandId: value.commandId,
              command: value.command,
              outcome: handling.outcome,
              breakId: value.breakId,
            },
            'reconciler command handled',
          );
        }
      },
    });
    this.log.info(
      { workerId: this.workerId, destinations: [...this.breakers.keys()], protocol: this.options.protocol },
      'writeback service running',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.stop();
    await this.relay.stop();
    for (const breaker of this.breakers.values()) breaker.shutdown();
    await Promise.allSettled(this.options.destinations.map((d) => d.destination.close()));
  }
}

@Module({})
export class WritebackServiceModule {
  static register(options: WritebackServiceOptions): DynamicModule {
    return {
      module: WritebackServiceModule,
      providers: [{ provide: OPTIONS, useValue: options }, WritebackService],
      exports: [WritebackService],
    };
  }
}
