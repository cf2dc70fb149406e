import { Injectable, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { KeyOf, TopicName, ValueOf } from '@closeout/contracts';
import { redactText } from '@closeout/privacy';
import {
  contextWithSpan,
  createLogger,
  extractTraceContext,
  failSpan,
  messageTraceContext,
  runWithContext,
  runWithMessageTraces,
  startSpan,
  withTraceContext,
  type Span,
  type TraceContext,
} from '@closeout/telemetry';
import { DecodeError } from '../kafka.errors';
import {
  closeoutSpanAttributes,
  fromWireHeaders,
  headersAsText,
  type MessageHeaders,
} from '../headers/message-headers';
import type { DeadLetterPublisher, DlqReasonClass } from '../dead-letter/dead-letter';
import { trackPartitionHeads, type HandlerOutcome, type KafkaMetrics } from '../metrics/kafka.metrics';
import type {
  ConsumerOptions,
  ConsumerPort,
  IncomingRecord,
  MessageBus,
  PartitionBatch,
} from '../ports/message-bus.port';
import type { MessageSerde } from '../ports/message-serde.port';
import { classifyHandlerError, describeHandlerError } from './handler-failure';
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
  /** 1 on the first delivery to this process, +1 for each in-place retry after a failure. */
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
 * Resolving marks them all processed except the rejections, which are dead-lettered. Throwing a transient error
 * retries the whole batch in place; throwing anything else hands the batch's messages over again one at a time
 * (each under the bounded retries of a single message), so the handler must be idempotent per message (as every
 * handler must be anyway).
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
  /** Backoff, `maxAttempts` and `stuckAfterMs` (DEFAULT_RETRY_BACKOFF, then the subscriber's defaults, then these). */
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
  /**
   * This member's partitions that do not move: the head message has been failing (any failure, transient ones
   * included) or in its handler for over `retry.stuckAfterMs`. Empty again once the head is handled or dead-lettered.
   */
  stuckPartitions(): StuckPartition[];
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

/** The result of one delivery: move past it, or leave it uncommitted and try again. */
type Outcome =
  | { kind: 'done' }
  | {
      kind: 'retry';
      /** Counts against maxAttempts (a failure that is neither transient nor during a stop). */
      counted: boolean;
      /** The error's class and code, for readiness and the stuck report; never its message. */
      error: string;
      /** A delivery of several messages failed on something other than a dependency: hand them over one at a time. */
      isolate?: boolean;
    };

const DONE: Outcome = { kind: 'done' };

/** The message at the head of a partition while it keeps failing. */
interface HeadFailure {
  offset: string;
  /** Failed deliveries of this message, of any kind: the backoff grows with them. */
  attempts: number;
  /** Failures counted against maxAttempts. */
  strikes: number;
  /** When it first failed, and last. */
  since: number;
  lastFailedAt: number;
  /** Class and code of the last error (never its message). */
  lastError: string;
}

/** A partition that does not move: its head message has been failing, or in its handler, for over stuckAfterMs. */
export interface StuckPartition {
  topic: string;
  groupId: string;
  partition: number;
  /** The head message's offset. */
  offset: string;
  /** How long it has been failing (or in its handler). */
  forMs: number;
  /** The last error's class and code, or that the handler is still running; never a message's content. */
  why: string;
}

/** A decoded message with the record it came from (dead letters carry the record's bytes as received). */
interface Prepared<K, V> {
  record: IncomingRecord;
  message: ConsumedMessage<K, V>;
}

const after = (offset: string, than: bigint): boolean => BigInt(offset) > than;

/** The settings given, without the ones left undefined (which would hide the layer below when spread). */
function defined<T extends object>(layer: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One subscription's consumer group member. Both kinds of handler go through the same delivery
 * (`deliver`): a per-message handler is a batch handler that is always handed one message, so decoding,
 * authentication and validation, the span, the retry policy, the metrics and the dead letters are the same
 * code for both. What only batches need is in `onBatch`: cutting the partition's records into chunks of
 * `maxBatchSize`, and handing a chunk that failed on something other than a dependency over again one
 * message at a time.
 */
class TopicSubscription<K, V> implements Subscription {
  private readonly log = createLogger('kafka.subscriber');
  private readonly consumer: ConsumerPort;
  private readonly tuning: MembershipTuning;
  private readonly backoff: RetryBackoffOptions;
  /** The handler every delivery calls: the batch handler, or the message handler given its one message. */
  private readonly run: BatchHandler<K, V>;
  /** Most records per delivery: 1 for a per-message handler. */
  private readonly chunkSize: number;
  /** The failing message at the head of each partition, so backoff and tries add up across redeliveries. */
  private readonly failures = new Map<number, HeadFailure>();
  /** The message of each partition in its handler now, and since when (a hung handler stalls its partition too). */
  private readonly inHandler = new Map<number, { offset: string; since: number }>();
  /**
   * Offsets dead-lettered but not yet committed, per partition: a batch retried, or a message redelivered, after its
   * dead letter was sent is not dead-lettered again. Cleared as the partition's marked offset passes them.
   */
  private readonly deadLettered = new Map<number, Set<string>>();
  /** After a chunk of several failed on something not transient, its offsets up to here go one at a time. */
  private readonly isolateThrough = new Map<number, bigint>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private readonly untrack: () => void;
  private stopping: Promise<void> | undefined;
  private crashedFor: string | undefined;
  private readonly positioned: Promise<void>;
  /** Label-bound metric children, resolved once: label hashing per message is measurable at 10k msg/s. */
  private readonly counters: {
    consumed: { inc(): void };
    handled: { inc(): void };
    failed: Record<Exclude<HandlerOutcome, 'success'>, { inc(): void }>;
    duration: Record<HandlerOutcome, { observe(seconds: number): void }>;
  };

  constructor(
    private readonly options: SubscriptionOptions<K, V>,
    private readonly deps: Collaborators,
    defaults: SubscriberDefaults,
    private readonly onStopped: (s: Subscription) => void,
  ) {
    const { handler, batchHandler } = options;
    if (batchHandler) {
      if (handler) throw this.misconfigured('give exactly one of handler and batchHandler');
      this.run = batchHandler;
      this.chunkSize = options.maxBatchSize ?? 500;
    } else if (handler) {
      // Whatever a message handler resolves with, a message has no rejections: it was handled.
      this.run = async ([message]) => {
        await handler(message!);
      };
      this.chunkSize = 1;
    } else {
      throw this.misconfigured('give exactly one of handler and batchHandler');
    }
    this.backoff = { ...DEFAULT_RETRY_BACKOFF, ...defined(defaults.retry), ...defined(options.retry) };
    if (!(this.backoff.maxAttempts >= 1) || !(this.backoff.stuckAfterMs > 0)) {
      throw this.misconfigured('retry.maxAttempts must be at least 1 and retry.stuckAfterMs positive');
    }
    const labels = { topic: options.topic, group: options.groupId };
    const m = deps.metrics;
    const kind = (k: Exclude<HandlerOutcome, 'success'>) => m.failed.labels({ ...labels, kind: k });
    const duration = (outcome: HandlerOutcome) => m.handlerDuration.labels({ ...labels, outcome });
    this.counters = {
      consumed: m.consumed.labels(labels),
      handled: m.handled.labels(labels),
      failed: { transient: kind('transient'), error: kind('error'), poison: kind('poison') },
      duration: {
        success: duration('success'),
        transient: duration('transient'),
        error: duration('error'),
        poison: duration('poison'),
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
    this.untrack = trackPartitionHeads(() => {
      const now = Date.now();
      const stuck = this.stuckPartitions(now);
      const failing = [...this.failures.values()].map((f) => now - f.since);
      return {
        ...labels,
        stuck: stuck.length,
        longestFailingSeconds: Math.max(0, ...failing, ...stuck.map((s) => s.forMs)) / 1000,
      };
    });
  }

  private misconfigured(problem: string): Error {
    return new Error(`subscription ${this.options.groupId} on ${this.options.topic}: ${problem}`);
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

  stuckPartitions(now = Date.now()): StuckPartition[] {
    const stuck: StuckPartition[] = [];
    // A failure not retried for this long is from a partition this member no longer has (a rebalance moved it while
    // it waited): the next delivery would have come within the backoff, a fetch and a rejoin.
    const staleAfter =
      this.backoff.maxBackoffMs + this.tuning.sessionTimeoutMs + this.tuning.rebalanceTimeoutMs;
    for (const [partition, f] of this.failures) {
      if (!this.inHandler.has(partition) && now - f.lastFailedAt > staleAfter) {
        this.failures.delete(partition);
        continue;
      }
      if (now - f.since >= this.backoff.stuckAfterMs) {
        stuck.push({ ...this.where(partition, f.offset), forMs: now - f.since, why: f.lastError });
      }
    }
    for (const [partition, h] of this.inHandler) {
      if (this.failures.has(partition) || now - h.since < this.backoff.stuckAfterMs) continue;
      stuck.push({
        ...this.where(partition, h.offset),
        forMs: now - h.since,
        why: 'the handler is still running',
      });
    }
    return stuck;
  }

  private where(
    partition: number,
    offset: string,
  ): Pick<StuckPartition, 'topic' | 'groupId' | 'partition' | 'offset'> {
    return { topic: this.topic, groupId: this.groupId, partition, offset };
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
      this.untrack();
      this.onStopped(this);
      this.log.info({ topic: this.topic, groupId: this.groupId }, 'unsubscribed');
    })();
    return this.stopping;
  }

  /**
   * Delivers a fetched partition batch chunk by chunk, in offset order: a chunk is one record for a per-message
   * handler, up to `maxBatchSize` for a batch handler, and one record again while a failed chunk is handed over one
   * message at a time. A chunk that must be retried pauses the partition; its records are fetched again later.
   */
  private async onBatch(batch: PartitionBatch): Promise<void> {
    const { partition, records } = batch;
    let i = 0;
    while (i < records.length) {
      if (this.stopping || !batch.isActive()) return;
      const head = records[i]!;
      const isolating = this.isolateThrough.get(partition);
      if (isolating !== undefined && after(head.offset, isolating)) this.isolateThrough.delete(partition);
      const chunk = records.slice(i, i + (this.isolateThrough.has(partition) ? 1 : this.chunkSize));
      const outcome = await this.working(batch, head, () => this.deliver(chunk));
      if (outcome.kind === 'retry') {
        const failure = this.recordFailure(head, outcome);
        if (outcome.isolate) {
          // Which message is it? Each of this chunk's messages now goes alone, under the same bounded retries, so
          // the bad one is dead-lettered by itself and the good ones are handled; right away, no backoff.
          this.isolateThrough.set(partition, BigInt(chunk.at(-1)!.offset));
          continue;
        }
        this.scheduleRetry(batch, head, failure.attempts);
        return;
      }
      await this.moveOn(batch, chunk.at(-1)!);
      i += chunk.length;
    }
  }

  /** Marks the offset processed (committed when due) and forgets what was remembered of the partition up to it. */
  private async moveOn(batch: PartitionBatch, last: IncomingRecord): Promise<void> {
    this.failures.delete(last.partition);
    batch.markProcessed(last.offset);
    const sent = this.deadLettered.get(last.partition);
    if (sent) {
      const through = BigInt(last.offset);
      for (const offset of sent) if (!after(offset, through)) sent.delete(offset);
      if (sent.size === 0) this.deadLettered.delete(last.partition);
    }
    await batch.commitIfDue();
    // Rate-limited by the client to the heartbeat interval. A rebalance surfaces here as an error that
    // must reach the client so it rejoins; what was marked so far is committed on the way.
    await batch.heartbeat();
  }

  /** Remembers how the head of the partition failed, so tries add up and a stuck partition is seen. */
  private recordFailure(head: IncomingRecord, outcome: Extract<Outcome, { kind: 'retry' }>): HeadFailure {
    const now = Date.now();
    const previous = this.headFailure(head);
    const failure: HeadFailure = {
      offset: head.offset,
      attempts: (previous?.attempts ?? 0) + 1,
      strikes: (previous?.strikes ?? 0) + (outcome.counted ? 1 : 0),
      since: previous?.since ?? now,
      lastFailedAt: now,
      lastError: outcome.error,
    };
    this.failures.set(head.partition, failure);
    return failure;
  }

  private headFailure(record: IncomingRecord): HeadFailure | undefined {
    const previous = this.failures.get(record.partition);
    return previous?.offset === record.offset ? previous : undefined;
  }

  /** Runs one delivery of the partition's head, keeping the member alive and remembering the head is in a handler. */
  private async working<T>(batch: PartitionBatch, head: IncomingRecord, work: () => Promise<T>): Promise<T> {
    this.inHandler.set(head.partition, { offset: head.offset, since: Date.now() });
    try {
      return await this.keepingAlive(batch, work);
    } finally {
      this.inHandler.delete(head.partition);
    }
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

  /**
   * The one delivery pipeline, for one record or a chunk of a partition's records: each is authenticated, decoded
   * and validated (what fails is dead-lettered), the handler gets the rest in a `<topic> process` span, and its
   * outcome is counted and classified (`handled`). Anything failing outside the handler (decoding against an
   * unreachable registry, a dead letter that could not be sent) is a transient failure of the whole delivery.
   */
  private async deliver(records: IncomingRecord[]): Promise<Outcome> {
    const head = records[0]!;
    const attempt = (this.headFailure(head)?.attempts ?? 0) + 1;
    try {
      const prepared: Array<Prepared<K, V>> = [];
      for (const record of records) {
        this.counters.consumed.inc();
        const message = await this.prepare(record, attempt);
        if (message) prepared.push({ record, message });
      }
      if (prepared.length === 0) return DONE;
      const only = prepared.length === 1 ? prepared[0]!.message : undefined;
      // One message runs in its own context (logs carry its correlation id); a batch has no single one.
      return await (only
        ? runWithContext(contextOf(only), () => this.handle(records, prepared, attempt))
        : this.handle(records, prepared, attempt));
    } catch (error) {
      this.log.error(
        {
          err: error,
          topic: head.topic,
          partition: head.partition,
          offset: head.offset,
          size: records.length,
        },
        'could not process message, will retry',
      );
      return { kind: 'retry', counted: false, error: describeHandlerError(error, false) };
    }
  }

  /**
   * Authenticates, decodes and validates one record. Returns the message to hand over, or nothing when the record was
   * dead-lettered instead (refused, undecodable, without a correlation id, invalid).
   */
  private async prepare(record: IncomingRecord, attempt: number): Promise<ConsumedMessage<K, V> | undefined> {
    const refused = this.options.authenticate?.(record);
    if (refused) return this.deadLetter(record, 'unauthenticated', refused);
    let key: K;
    let value: V;
    try {
      // Types come from the topic's schema: the serde decodes into exactly that reader schema.
      key = (await this.deps.serde.decode(record.topic, 'key', record.key)) as K;
      value = (await this.deps.serde.decode(record.topic, 'value', record.value)) as V;
    } catch (error) {
      if (error instanceof DecodeError) return this.deadLetter(record, error.failure, error.message);
      throw error;
    }

    const headers = fromWireHeaders(record.headers);
    const correlationId = headers.correlationId ?? this.derivedCorrelationId(record, key, value);
    if (!correlationId) {
      return this.deadLetter(
        record,
        'missing-correlation-id',
        'the correlation-id header is missing; every Closeout message carries one',
      );
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
    if (problem) {
      return runWithContext(contextOf(message), () =>
        this.deadLetter(record, 'validation', `validation failed: ${problem}`),
      );
    }
    return message;
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

  /**
   * Runs the handler on the decoded messages of `records` and settles the outcome: success (rejected messages
   * dead-lettered, the others counted handled) or a failure classified by `handlerFailed`.
   */
  private async handle(
    records: IncomingRecord[],
    prepared: Array<Prepared<K, V>>,
    attempt: number,
  ): Promise<Outcome> {
    const started = process.hrtime.bigint();
    const observe = (outcome: HandlerOutcome) =>
      this.counters.duration[outcome].observe(Number(process.hrtime.bigint() - started) / 1e9);
    let rejections: BatchRejection<K, V>[];
    const traces = new Map<string, TraceContext>();
    try {
      rejections =
        (await this.inSpan(prepared, () => this.run(prepared.map((p) => p.message)), traces)) ?? [];
    } catch (error) {
      return this.handlerFailed(error, records, attempt, observe);
    }
    observe('success');
    const rejected = new Map(rejections.map((r) => [r.message.offset, r]));
    for (const { record, message } of prepared) {
      const rejection = rejected.get(message.offset);
      if (rejection === undefined) {
        this.counters.handled.inc();
        continue;
      }
      this.counters.failed.poison.inc();
      // In the rejected message's own context and span: the dead letter's log line carries its correlation id and
      // trace, not the batch's first.
      const own = traces.get(message.offset);
      const letter = () =>
        this.deadLetter(
          record,
          rejection.reasonClass ?? 'poison',
          `handler rejected the message: ${redactText(rejection.reason)}`,
        );
      await runWithContext(contextOf(message), () => (own ? withTraceContext(own, letter) : letter()));
    }
    return DONE;
  }

  /**
   * The handler call under one `process <topic>` consumer span per message (OTel messaging conventions), each the
   * child of the producer span its message carries, so every message stays in its own case's trace, batched or not.
   * A single message's span is the active context while the handler runs (with its correlation id for the logs); a
   * batch handler runs with each message's context at hand by correlation id (`runWithMessageTraces`), which the
   * outbox and the publisher use for what the handler writes per case. A message the handler rejects ends with an
   * error status; a failing call, all of them.
   */
  private async inSpan(
    prepared: Array<Prepared<K, V>>,
    work: () => Promise<BatchRejection<K, V>[] | void>,
    byOffset?: Map<string, TraceContext>,
  ): Promise<BatchRejection<K, V>[] | void> {
    const spans = prepared.map(({ record, message }) => this.processSpan(record, message));
    const contexts = spans.map((span, i) =>
      contextWithSpan(span, extractTraceContext(headersAsText(prepared[i]!.record.headers))),
    );
    prepared.forEach((p, i) => byOffset?.set(p.message.offset, contexts[i]!));
    try {
      const only = prepared.length === 1 ? contexts[0] : undefined;
      const rejections = only
        ? await withTraceContext(only, work)
        : await runWithMessageTraces(
            new Map<string, TraceContext>(
              prepared.map((p, i) => [p.message.headers.correlationId, contexts[i]!]),
            ),
            work,
          );
      if (rejections && rejections.length > 0) {
        const rejected = new Set(rejections.map((r) => r.message.offset));
        prepared.forEach((p, i) => {
          if (rejected.has(p.message.offset)) failSpan(spans[i]!, new Error('rejected by the handler'));
        });
      }
      return rejections;
    } catch (error) {
      for (const span of spans) failSpan(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }

  private processSpan(record: IncomingRecord, message: ConsumedMessage<K, V>): Span {
    return startSpan(
      `process ${record.topic}`,
      'consumer',
      extractTraceContext(headersAsText(record.headers)),
      {
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': record.topic,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.partition.id': String(record.partition),
          'messaging.kafka.offset': Number(record.offset),
          'messaging.consumer.group.name': this.groupId,
          'closeout.correlation_id': message.headers.correlationId,
          ...closeoutSpanAttributes(message.key, message.value, message.headers),
        },
      },
    );
  }

  /**
   * What a handler's error means for its delivery (consumer/handler-failure.ts), counted and logged:
   * - poison: one record is dead-lettered at once;
   * - transient, or any failure while the subscription stops (a stop closes the pools handlers use): retried in
   *   place without limit, never counted;
   * - anything else: one record is retried up to maxAttempts, then dead-lettered once as `exhausted`.
   * Poison or a counted error from several records says some message of them is bad, not which: each goes alone
   * next, and the failure of the whole chunk is no try against its head.
   */
  private async handlerFailed(
    error: unknown,
    records: IncomingRecord[],
    attempt: number,
    observe: (outcome: HandlerOutcome) => void,
  ): Promise<Outcome> {
    const head = records[0]!;
    const classified = classifyHandlerError(error);
    const kind = classified === 'deterministic' && this.stopping ? 'transient' : classified;
    const outcome = kind === 'deterministic' ? 'error' : kind;
    observe(outcome);
    this.counters.failed[outcome].inc();
    const described = describeHandlerError(error, false);
    const where = { topic: head.topic, partition: head.partition, offset: head.offset, attempt };

    if (kind === 'transient') {
      this.log.warn(
        { err: error, ...where, ...(records.length > 1 ? { size: records.length } : {}) },
        'handler failed on a dependency, the message will be retried in place without limit',
      );
      return { kind: 'retry', counted: false, error: described };
    }
    if (records.length > 1) {
      this.log.warn(
        { err: error, ...where, size: records.length, kind },
        'batch handler failed, handing the batch over one message at a time',
      );
      return { kind: 'retry', counted: false, error: described, isolate: true };
    }
    if (kind === 'poison') {
      await this.deadLetter(head, 'poison', `handler rejected the message: ${redactText(messageOf(error))}`);
      return DONE;
    }
    const strikes = (this.headFailure(head)?.strikes ?? 0) + 1;
    if (strikes < this.backoff.maxAttempts) {
      this.log.warn(
        { err: error, ...where, maxAttempts: this.backoff.maxAttempts },
        'handler failed, the message will be retried in place up to maxAttempts',
      );
      return { kind: 'retry', counted: true, error: described };
    }
    const tries = `handler failed ${strikes} times (maxAttempts ${this.backoff.maxAttempts})`;
    await this.deadLetter(head, 'exhausted', `${tries}: ${describeHandlerError(error)}`);
    return DONE;
  }

  /**
   * Sends the record to the DLQ, once: a record already dead-lettered and not yet committed past is not sent again.
   * Resolves with nothing, so `prepare` can return it as "no message to hand over".
   */
  private async deadLetter(
    record: IncomingRecord,
    reasonClass: DlqReasonClass,
    reason: string,
  ): Promise<undefined> {
    let sent = this.deadLettered.get(record.partition);
    if (sent?.has(record.offset)) return undefined;
    await this.deps.deadLetters.send(record, reasonClass, reason, this.groupId);
    if (!sent) this.deadLettered.set(record.partition, (sent = new Set()));
    sent.add(record.offset);
    return undefined;
  }
}

/**
 * Runs `fn` as the work of one message of a batch: with its message context (every log line carries its
 * `correlationId` and `causationId`) and its `process` span as the active trace context (`traceId` / `spanId` on the
 * log lines; what it writes continues its trace). A batch handler wraps what it does per message in it; a
 * one-message handler already runs so.
 */
export function inMessageContext<T>(message: ConsumedMessage<unknown, unknown>, fn: () => T): T {
  return runWithContext(contextOf(message), () =>
    withTraceContext(messageTraceContext(message.headers.correlationId), fn),
  );
}

/** The context a single message's handler runs in, so its logs and the messages it publishes carry its ids. */
function contextOf(message: ConsumedMessage<unknown, unknown>) {
  const { correlationId, causationId, idempotencyKey } = message.headers;
  return {
    correlationId,
    ...(causationId ? { causationId } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

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

  /** Partitions of any subscription whose head message has been failing for over its `retry.stuckAfterMs`. */
  stuckPartitions(): StuckPartition[] {
    return [...this.subscriptions].flatMap((s) => s.stuckPartitions());
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
