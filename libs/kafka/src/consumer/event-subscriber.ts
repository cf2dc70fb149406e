import { Injectable, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { KeyOf, TopicName, ValueOf } from '@closeout/contracts';
import { createLogger, runWithContext, withSpan } from '@closeout/telemetry';
import { DecodeError, PoisonMessageError } from '../kafka.errors';
import { fromWireHeaders, headersAsText, type MessageHeaders } from '../headers/message-headers';
import type { DeadLetterPublisher, DlqReasonClass } from '../dead-letter/dead-letter';
import type { HandlerOutcome, KafkaMetrics } from '../metrics/kafka.metrics';
import type {
  ConsumerOptions,
  ConsumerPort,
  IncomingRecord,
  MessageBus,
  PartitionBatch,
} from '../ports/message-bus.port';
import type { MessageSerde } from '../ports/message-serde.port';
import { DEFAULT_RETRY_BACKOFF, retryDelayMs, type RetryBackoffOptions } from './retry-backoff';

/** What a handler receives: the decoded key and value, and where the message came from. */
export interface ConsumedMessage<K, V> {
  topic: string;
  partition: number;
  offset: string;
  key: K;
  value: V;
  headers: MessageHeaders;
  /** Broker or producer timestamp, epoch millis. */
  timestamp: number;
  /** 1 on the first delivery to this process, +1 for each in-place retry after a transient failure. */
  attempt: number;
}

/** A decoded message before its correlation id is known. */
export type UncorrelatedMessage<K, V> = Omit<ConsumedMessage<K, V>, 'headers' | 'attempt'>;

export type MessageHandler<K, V> = (message: ConsumedMessage<K, V>) => Promise<void>;

/** Returns why the message is unacceptable (it goes to the DLQ), or nothing when it may be handled. */
export type MessageValidator<K, V> = (message: ConsumedMessage<K, V>) => string | null | undefined;

/**
 * Decides from the record as received (key and value bytes, raw headers) whether it comes from a producer allowed
 * to send it, e.g. by checking a signature over those bytes. Returns why not (the record goes to the DLQ with class
 * `unauthenticated` and is never decoded or handled), or nothing when it may be handled.
 */
export type RecordAuthenticator = (record: IncomingRecord) => string | null | undefined;

/** Group membership tuning; defaults suit production, tests shorten them. */
export type ConsumerTuning = Omit<ConsumerOptions, 'groupId'>;

/**
 * Group membership defaults. The broker hands a member's partitions to others (or to its replacement) only once
 * it leaves the group or its session times out, so after a crash (SIGKILL, OOM, node loss: no LeaveGroup) its
 * partitions wait up to `sessionTimeoutMs`; kafkajs has no static membership to skip that wait. 10 s keeps that
 * short while absorbing a network blip; the broker refuses anything under its group.min.session.timeout.ms (6 s by
 * default). A member heartbeats every `heartbeatIntervalMs` between fetches and, through the subscriber's
 * keep-alive, while a handler runs, so the session bounds a dead process, not a slow handler. An idle fetch returns
 * after `maxWaitTimeMs`, which must stay well under the session since kafkajs heartbeats between fetches. A
 * rebalance waits up to `rebalanceTimeoutMs` for the live members to rejoin; a handler running longer than that
 * stops being kept alive, so a hung handler gives its partitions up instead of holding them.
 */
export const DEFAULT_CONSUMER_TUNING = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
  maxWaitTimeMs: 1_000,
} as const satisfies ConsumerTuning;

type MembershipTuning = Required<Pick<ConsumerTuning, keyof typeof DEFAULT_CONSUMER_TUNING>> & ConsumerTuning;

/** The settings kafkajs needs consistent, checked when a subscription is made rather than at its first rebalance. */
export function membershipTuning(...layers: Array<ConsumerTuning | undefined>): MembershipTuning {
  // A later layer wins where it says something; an undefined setting leaves the one below.
  const tuning = Object.fromEntries(
    [DEFAULT_CONSUMER_TUNING, ...layers].flatMap((layer) =>
      Object.entries(layer ?? {}).filter(([, v]) => v !== undefined),
    ),
  ) as MembershipTuning;
  const { sessionTimeoutMs: session, heartbeatIntervalMs: heartbeat, maxWaitTimeMs: wait } = tuning;
  const problems = [
    heartbeat * 3 > session &&
      `heartbeatIntervalMs (${heartbeat}) must be at most a third of sessionTimeoutMs (${session})`,
    wait * 2 > session && `maxWaitTimeMs (${wait}) must be at most half of sessionTimeoutMs (${session})`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new Error(`consumer tuning: ${problems.join('; ')}`);
  return tuning;
}

/** A message a batch handler refuses for good: it goes to the DLQ with the reason, the rest of the batch is done. */
export interface BatchRejection<K, V> {
  message: ConsumedMessage<K, V>;
  reason: string;
  /** The DLQ reason class (default `poison`), e.g. `unserved` for a request no deployment serves. */
  reasonClass?: DlqReasonClass;
}

/**
 * Handles every decoded message of one partition batch at once (in offset order), e.g. with one multi-row INSERT.
 * Resolving marks them all processed except the rejections, which are dead-lettered; throwing retries the whole
 * batch in place, so the handler must be idempotent per message (as every handler must be anyway).
 */
export type BatchHandler<K, V> = (
  messages: ConsumedMessage<K, V>[],
) => Promise<BatchRejection<K, V>[] | void>;

export interface SubscriptionOptions<K, V> {
  groupId: string;
  topic: string;
  /** One message at a time. Give this or `batchHandler`. */
  handler?: MessageHandler<K, V>;
  /** A partition batch at a time, for throughput. Give this or `handler`. */
  batchHandler?: BatchHandler<K, V>;
  /** Most messages per `batchHandler` call (default 500). */
  maxBatchSize?: number;
  validate?: MessageValidator<K, V>;
  /** Checked before decoding: a record it refuses is dead-lettered (`unauthenticated`), never handled. */
  authenticate?: RecordAuthenticator;
  /**
   * Names the correlation id of a message that carries no `correlation-id` header, as messages from systems
   * outside Closeout do (e.g. from the upstream event id). Without it such a message is dead-lettered.
   */
  deriveCorrelationId?: (message: UncorrelatedMessage<K, V>) => string;
  /** Where a group without committed offsets starts: the earliest message (true) or new ones only. */
  fromBeginning?: boolean;
  retry?: Partial<RetryBackoffOptions>;
  consumer?: ConsumerTuning;
}

export interface SubscribeOptions<T extends TopicName> extends SubscriptionOptions<KeyOf<T>, ValueOf<T>> {
  topic: T;
}

/** A running consumer group member for one topic. */
export interface Subscription {
  readonly groupId: string;
  readonly topic: string;
  /**
   * Resolves once this member has joined the group and knows where it starts reading its partitions;
   * a message published after that is seen even by a new group that does not read from the beginning.
   */
  whenPositioned(): Promise<void>;
  /** False once the consumer crashed and its client will not restart it; a reason why, for health checks. */
  readonly failure: string | undefined;
  /** Finishes the handler in flight, commits what was handled, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

/** What every subscription of a subscriber starts from; a subscription's own options win. */
export interface SubscriberDefaults {
  consumer?: ConsumerTuning;
  retry?: Partial<RetryBackoffOptions>;
}

interface Collaborators {
  bus: MessageBus;
  serde: MessageSerde;
  deadLetters: DeadLetterPublisher;
  metrics: KafkaMetrics;
}

/** The result of one delivery: move past it, or leave it uncommitted and try again after a delay. */
type Outcome = { kind: 'done' } | { kind: 'retry'; failedAttempts: number };

const DONE: Outcome = { kind: 'done' };

class TopicSubscription<K, V> implements Subscription {
  private readonly log = createLogger('kafka.subscriber');
  private readonly consumer: ConsumerPort;
  private readonly tuning: MembershipTuning;
  private readonly backoff: RetryBackoffOptions;
  /** Failed attempts of the message at the head of each partition, so backoff grows across redeliveries. */
  private readonly failures = new Map<number, { offset: string; attempts: number }>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private stopping: Promise<void> | undefined;
  private crashedFor: string | undefined;
  private readonly positioned: Promise<void>;
  /** Label-bound metric children, resolved once: label hashing per message is measurable at 10k msg/s. */
  private readonly counters: {
    consumed: { inc(): void };
    handled: { inc(): void };
    transient: { inc(): void };
    poison: { inc(): void };
    duration: Record<HandlerOutcome, { observe(seconds: number): void }>;
  };

  constructor(
    private readonly options: SubscriptionOptions<K, V>,
    private readonly deps: Collaborators,
    defaults: SubscriberDefaults,
    private readonly onStopped: (s: Subscription) => void,
  ) {
    if ((options.handler === undefined) === (options.batchHandler === undefined)) {
      throw new Error(
        `subscription ${options.groupId} on ${options.topic}: give exactly one of handler and batchHandler`,
      );
    }
    this.backoff = { ...DEFAULT_RETRY_BACKOFF, ...defaults.retry, ...options.retry };
    const labels = { topic: options.topic, group: options.groupId };
    const m = deps.metrics;
    this.counters = {
      consumed: m.consumed.labels(labels),
      handled: m.handled.labels(labels),
      transient: m.failed.labels({ ...labels, kind: 'transient' }),
      poison: m.failed.labels({ ...labels, kind: 'poison' }),
      duration: {
        success: m.handlerDuration.labels({ ...labels, outcome: 'success' }),
        transient: m.handlerDuration.labels({ ...labels, outcome: 'transient' }),
        poison: m.handlerDuration.labels({ ...labels, outcome: 'poison' }),
      },
    };
    this.tuning = membershipTuning(defaults.consumer, options.consumer);
    this.consumer = deps.bus.consumer({ ...this.tuning, groupId: options.groupId });
    this.positioned = new Promise((resolve) => this.consumer.onPositioned(resolve));
    this.consumer.onCrash((error, willRestart) => {
      if (!willRestart) this.crashedFor = error.message;
      this.log.error(
        { err: error, topic: options.topic, groupId: options.groupId, willRestart },
        willRestart
          ? 'Kafka consumer crashed and is restarting'
          : 'Kafka consumer crashed and will not restart',
      );
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get topic(): string {
    return this.options.topic;
  }

  whenPositioned(): Promise<void> {
    return this.positioned;
  }

  get failure(): string | undefined {
    return this.crashedFor;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe([this.options.topic], this.options.fromBeginning ?? false);
    await this.consumer.run((batch) => this.onBatch(batch));
    this.log.info({ topic: this.topic, groupId: this.groupId }, 'subscribed');
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.resumeTimers) clearTimeout(timer);
      this.resumeTimers.clear();
      // The port's stop waits for the batch in flight (its handler finishes; no new one starts because
      // onBatch checks `stopping`), commits the offsets it marked, then leaves the group.
      await this.consumer.stop();
      await this.consumer.disconnect();
      this.onStopped(this);
      this.log.info({ topic: this.topic, groupId: this.groupId }, 'unsubscribed');
    })();
    return this.stopping;
  }

  private async onBatch(batch: PartitionBatch): Promise<void> {
    if (this.options.batchHandler) return this.onBatchAtOnce(batch, this.options.batchHandler);
    for (const record of batch.records) {
      if (this.stopping || !batch.isActive()) return;
      const outcome = await this.keepingAlive(batch, () => this.deliver(record));
      if (outcome.kind === 'retry') {
        this.scheduleRetry(batch, record, outcome.failedAttempts);
        return;
      }
      batch.markProcessed(record.offset);
      await batch.commitIfDue();
      // Rate-limited by the client to the heartbeat interval. A rebalance surfaces here as an error that
      // must reach the client so it rejoins; what was marked so far is committed on the way.
      await batch.heartbeat();
    }
  }

  private async onBatchAtOnce(batch: PartitionBatch, handler: BatchHandler<K, V>): Promise<void> {
    const max = this.options.maxBatchSize ?? 500;
    for (let i = 0; i < batch.records.length; i += max) {
      if (this.stopping || !batch.isActive()) return;
      const chunk = batch.records.slice(i, i + max);
      const head = chunk[0]!;
      const previous = this.failures.get(head.partition);
      const attempt = (previous?.offset === head.offset ? previous.attempts : 0) + 1;
      const outcome = await this.keepingAlive(batch, () => this.deliverAtOnce(chunk, attempt, handler)).catch(
        (error: unknown) => {
          this.log.error(
            { err: error, topic: head.topic, partition: head.partition, offset: head.offset },
            'could not process batch, will retry',
          );
          return { kind: 'retry', failedAttempts: attempt } satisfies Outcome;
        },
      );
      if (outcome.kind === 'retry') {
        this.failures.set(head.partition, { offset: head.offset, attempts: outcome.failedAttempts });
        this.scheduleRetry(batch, head, outcome.failedAttempts);
        return;
      }
      this.failures.delete(head.partition);
      batch.markProcessed(chunk[chunk.length - 1]!.offset);
      await batch.commitIfDue();
      await batch.heartbeat();
    }
  }

  private async deliverAtOnce(
    records: IncomingRecord[],
    attempt: number,
    handler: BatchHandler<K, V>,
  ): Promise<Outcome> {
    const decoded: Array<{ record: IncomingRecord; message: ConsumedMessage<K, V> }> = [];
    for (const record of records) {
      this.counters.consumed.inc();
      const prepared = await this.prepare(record, attempt);
      if ('message' in prepared) decoded.push({ record, message: prepared.message });
    }
    if (decoded.length === 0) return DONE;
    const { topic, partition } = records[0]!;
    const started = process.hrtime.bigint();
    const observe = (outcome: HandlerOutcome) =>
      this.counters.duration[outcome].observe(Number(process.hrtime.bigint() - started) / 1e9);
    let rejections: BatchRejection<K, V>[];
    try {
      rejections =
        (await withSpan(`${topic} process`, 'consumer', {}, async (span) => {
          span.setAttribute('messaging.system', 'kafka');
          span.setAttribute('messaging.destination.name', topic);
          span.setAttribute('messaging.kafka.destination.partition', partition);
          span.setAttribute('messaging.batch.message_count', decoded.length);
          span.setAttribute('messaging.consumer.group.name', this.groupId);
          return handler(decoded.map((d) => d.message));
        })) ?? [];
    } catch (error) {
      observe('transient');
      this.counters.transient.inc();
      this.log.warn(
        { err: error, topic, partition, offset: records[0]!.offset, attempt },
        'batch handler failed, batch will be retried in place',
      );
      return { kind: 'retry', failedAttempts: attempt };
    }
    observe('success');
    const rejected = new Map(rejections.map((r) => [r.message.offset, r]));
    for (const { record, message } of decoded) {
      const rejection = rejected.get(message.offset);
      if (rejection === undefined) {
        this.counters.handled.inc();
        continue;
      }
      this.counters.poison.inc();
      await this.deadLetter(
        record,
        rejection.reasonClass ?? 'poison',
        `handler rejected the message: ${rejection.reason}`,
      );
    }
    return DONE;
  }

  /**
   * Runs `work` while heartbeating on its behalf: kafkajs heartbeats only between fetches and when asked, so without
   * this a handler slower than the session timeout would get its member evicted. A heartbeat that reports a
   * rebalance is ignored here; the next heartbeat after the work reports it again, where the client rejoins. Stops
   * after rebalanceTimeoutMs, so a handler that hangs lets its partitions go to another member.
   */
  private async keepingAlive<T>(batch: PartitionBatch, work: () => Promise<T>): Promise<T> {
    const until = Date.now() + this.tuning.rebalanceTimeoutMs;
    const timer = setInterval(() => {
      if (Date.now() > until || !batch.isActive()) clearInterval(timer);
      else batch.heartbeat().catch(() => undefined);
    }, this.tuning.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Retry in place: the partition is paused and the batch given up without marking the failed message,
   * so it is fetched again, first in its partition, once the partition resumes. Other partitions keep
   * flowing, the group keeps heartbeating, and a stop during the wait leaves the message uncommitted.
   */
  private scheduleRetry(batch: PartitionBatch, record: IncomingRecord, failedAttempts: number): void {
    const resume = batch.pause();
    const delay = retryDelayMs(failedAttempts, this.backoff);
    this.log.info(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        delayMs: delay,
        failedAttempts,
      },
      'retrying message after backoff',
    );
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (!this.stopping) resume();
    }, delay);
    this.resumeTimers.add(timer);
  }

  private async deliver(record: IncomingRecord): Promise<Outcome> {
    const { topic } = record;
    this.counters.consumed.inc();
    const previous = this.failures.get(record.partition);
    const failedBefore = previous?.offset === record.offset ? previous.attempts : 0;

    const outcome = await this.process(record, failedBefore + 1).catch((error: unknown) => {
      // Not the handler (that is caught below): decoding against an unreachable registry, or the DLQ
      // send itself failed. Either is transient; the message stays where it is.
      this.log.error(
        { err: error, topic, partition: record.partition, offset: record.offset },
        'could not process message, will retry',
      );
      return { kind: 'retry', failedAttempts: failedBefore + 1 } satisfies Outcome;
    });

    if (outcome.kind === 'retry')
      this.failures.set(record.partition, { offset: record.offset, attempts: outcome.failedAttempts });
    else this.failures.delete(record.partition);
    return outcome;
  }

  private async process(record: IncomingRecord, attempt: number): Promise<Outcome> {
    const prepared = await this.prepare(record, attempt);
    return 'message' in prepared ? this.handle(record, prepared.message) : prepared.outcome;
  }

  /** Decodes and validates one record; what cannot be decoded or validated is dead-lettered here. */
  private async prepare(
    record: IncomingRecord,
    attempt: number,
  ): Promise<{ message: ConsumedMessage<K, V> } | { outcome: Outcome }> {
    const refused = this.options.authenticate?.(record);
    if (refused) return { outcome: await this.deadLetter(record, 'unauthenticated', refused) };
    let key: K;
    let value: V;
    try {
      // Types come from the topic's schema: the serde decodes into exactly that reader schema.
      key = (await this.deps.serde.decode(record.topic, 'key', record.key)) as K;
      value = (await this.deps.serde.decode(record.topic, 'value', record.value)) as V;
    } catch (error) {
      if (error instanceof DecodeError)
        return { outcome: await this.deadLetter(record, error.failure, error.message) };
      throw error;
    }

    const headers = fromWireHeaders(record.headers);
    const correlationId = headers.correlationId ?? this.derivedCorrelationId(record, key, value);
    if (!correlationId) {
      return {
        outcome: await this.deadLetter(
          record,
          'missing-correlation-id',
          'the correlation-id header is missing; every Closeout message carries one',
        ),
      };
    }
    const message: ConsumedMessage<K, V> = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key,
      value,
      headers: { ...headers, correlationId },
      timestamp: record.timestamp,
      attempt,
    };

    const problem = this.options.validate?.(message);
    if (problem)
      return { outcome: await this.deadLetter(record, 'validation', `validation failed: ${problem}`) };
    return { message };
  }

  /** A derivation that throws is treated as none: retrying would fail the same way and block the partition. */
  private derivedCorrelationId(record: IncomingRecord, key: K, value: V): string | undefined {
    try {
      return this.options.deriveCorrelationId?.({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key,
        value,
        timestamp: record.timestamp,
      });
    } catch (error) {
      this.log.warn(
        { err: error, topic: record.topic, offset: record.offset },
        'could not derive a correlation id',
      );
      return undefined;
    }
  }

  private async handle(record: IncomingRecord, message: ConsumedMessage<K, V>): Promise<Outcome> {
    const { topic } = record;
    const group = this.groupId;
    const context = {
      correlationId: message.headers.correlationId,
      ...(message.headers.causationId ? { causationId: message.headers.causationId } : {}),
      ...(message.headers.idempotencyKey ? { idempotencyKey: message.headers.idempotencyKey } : {}),
    };
    const started = process.hrtime.bigint();
    const observe = (outcome: HandlerOutcome) =>
      this.counters.duration[outcome].observe(Number(process.hrtime.bigint() - started) / 1e9);

    try {
      await runWithContext(context, () =>
        withSpan(`${topic} process`, 'consumer', headersAsText(record.headers), async (span) => {
          span.setAttribute('messaging.system', 'kafka');
          span.setAttribute('messaging.destination.name', topic);
          span.setAttribute('messaging.kafka.destination.partition', record.partition);
          span.setAttribute('messaging.kafka.message.offset', Number(record.offset));
          span.setAttribute('messaging.consumer.group.name', group);
          await this.options.handler!(message);
        }),
      );
    } catch (error) {
      if (error instanceof PoisonMessageError) {
        observe('poison');
        this.counters.poison.inc();
        return this.deadLetter(record, 'poison', `handler rejected the message: ${error.message}`);
      }
      observe('transient');
      this.counters.transient.inc();
      runWithContext(context, () =>
        this.log.warn(
          { err: error, topic, partition: record.partition, offset: record.offset, attempt: message.attempt },
          'handler failed, message will be retried in place',
        ),
      );
      return { kind: 'retry', failedAttempts: message.attempt };
    }
    observe('success');
    this.counters.handled.inc();
    return DONE;
  }

  private async deadLetter(
    record: IncomingRecord,
    reasonClass: DlqReasonClass,
    reason: string,
  ): Promise<Outcome> {
    await this.deps.deadLetters.send(record, reasonClass, reason, this.groupId);
    return DONE;
  }
}

/**
 * Subscribes handlers to topics. Each subscription is its own consumer group member; a message's
 * offset is committed only once its handler succeeded or it was dead-lettered, in partition order.
 */
@Injectable()
export class EventSubscriber implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly deps: Collaborators,
    private readonly defaults: SubscriberDefaults = {},
    private readonly prepare: (topic: string) => Promise<void> = async () => undefined,
  ) {}

  subscribe<T extends TopicName>(options: SubscribeOptions<T>): Promise<Subscription> {
    return this.subscribeToTopic<KeyOf<T>, ValueOf<T>>(options);
  }

  /**
   * The lower-level form of `subscribe` for topics defined on the SchemaCatalog rather than in the
   * contracts; the caller states the key and value types the topic's schemas decode to.
   */
  async subscribeToTopic<K, V>(options: SubscriptionOptions<K, V>): Promise<Subscription> {
    await this.prepare(options.topic);
    const subscription = new TopicSubscription<K, V>(options, this.deps, this.defaults, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop().catch(() => undefined);
      throw error;
    }
    return subscription;
  }

  /** Subscriptions whose consumer died for good (a crash the client does not restart from). */
  failedSubscriptions(): Array<{ topic: string; groupId: string; reason: string }> {
    return [...this.subscriptions].flatMap((s) =>
      s.failure ? [{ topic: s.topic, groupId: s.groupId, reason: s.failure }] : [],
    );
  }

  /** Stops every subscription: in-flight handlers finish, handled offsets are committed, then disconnect. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  onModuleDestroy(): Promise<void> {
    return this.stopAll();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stopAll();
  }
}
