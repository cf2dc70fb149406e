import {
  Counter,
  Gauge,
  Histogram,
  register,
  type CounterConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * Metrics live in prom-client's default registry (what the services' /metrics exposes). Several
 * clients in one process (tests, a service with two Kafka clusters) share them, so each metric is
 * created once and looked up afterwards instead of failing on a duplicate registration.
 */
function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return (register.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter(config);
}

function histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
  return (register.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram(config);
}

/**
 * `transient`: a dependency failed, retried without limit; `error`: any other handler error, retried up to
 * maxAttempts; `poison`: the handler refused the message for good.
 */
export type HandlerOutcome = 'success' | 'transient' | 'error' | 'poison';

/** How the heads of one subscription's partitions stand right now, read when /metrics is scraped. */
export interface PartitionHeadsReport {
  topic: string;
  group: string;
  /** Partitions whose head message has been failing (or in its handler) for longer than stuckAfterMs. */
  stuck: number;
  /** The longest any partition's head message has been failing or in its handler, in seconds (0 when none). */
  longestFailingSeconds: number;
}

/** The live subscriptions' reports, one source each; module-wide because the gauges are (one default registry). */
const partitionHeadSources = new Set<() => PartitionHeadsReport>();

function partitionHeadGauges(): void {
  if (register.getSingleMetric('closeout_kafka_consumer_stuck_partitions')) return;
  const reports = () => [...partitionHeadSources].map((source) => source());
  new Gauge({
    name: 'closeout_kafka_consumer_stuck_partitions',
    help: 'Partitions whose head message has been failing for longer than stuckAfterMs (the partition does not move)',
    labelNames: ['topic', 'group'],
    collect() {
      this.reset();
      for (const r of reports()) this.set({ topic: r.topic, group: r.group }, r.stuck);
    },
  });
  new Gauge({
    name: 'closeout_kafka_consumer_head_failing_seconds',
    help: 'How long the longest-failing partition head has been failing or in its handler, in seconds, 0 when none',
    labelNames: ['topic', 'group'],
    collect() {
      this.reset();
      for (const r of reports()) this.set({ topic: r.topic, group: r.group }, r.longestFailingSeconds);
    },
  });
}

/** Reports a subscription's partition heads in the gauges until the returned function is called (it stopped). */
export function trackPartitionHeads(source: () => PartitionHeadsReport): () => void {
  partitionHeadGauges();
  partitionHeadSources.add(source);
  return () => partitionHeadSources.delete(source);
}

/**
 * Messages a consumer group has yet to handle per partition, as this consumer last saw it: the partition's high
 * watermark minus the offset after the last batch handled (0 when caught up). Set after each batch; a partition this
 * consumer no longer holds is dropped at its next group join. Labels: topic, group, partition (bounded by the topics'
 * partition counts).
 */
export function consumerLagGauge(): Gauge<'topic' | 'group' | 'partition'> {
  const name = 'closeout_kafka_consumer_lag_messages';
  return (
    (register.getSingleMetric(name) as Gauge<'topic' | 'group' | 'partition'> | undefined) ??
    new Gauge({
      name,
      help: "Messages a consumer group has yet to handle on a partition (high watermark minus the position after the group's last batch)",
      labelNames: ['topic', 'group', 'partition'],
    })
  );
}

export interface KafkaMetrics {
  published: Counter<'topic'>;
  consumed: Counter<'topic' | 'group'>;
  handled: Counter<'topic' | 'group'>;
  failed: Counter<'topic' | 'group' | 'kind'>;
  deadLettered: Counter<'topic' | 'reason_class'>;
  handlerDuration: Histogram<'topic' | 'group' | 'outcome'>;
}

/** Looks the metrics up (creating them on first use); callers keep the result rather than calling per message. */
export function kafkaMetrics(): KafkaMetrics {
  return {
    published: counter({
      name: 'closeout_kafka_messages_published_total',
      help: 'Messages acknowledged by the brokers, by topic',
      labelNames: ['topic'],
    }),
    consumed: counter({
      name: 'closeout_kafka_messages_consumed_total',
      help: 'Message deliveries taken from Kafka (a retried message counts once per delivery)',
      labelNames: ['topic', 'group'],
    }),
    handled: counter({
      name: 'closeout_kafka_messages_handled_total',
      help: 'Messages whose handler succeeded',
      labelNames: ['topic', 'group'],
    }),
    failed: counter({
      name: 'closeout_kafka_handler_failures_total',
      help: 'Handler failures by kind: transient ones are retried without limit, error ones up to maxAttempts, poison ones go to the DLQ',
      labelNames: ['topic', 'group', 'kind'],
    }),
    deadLettered: counter({
      name: 'closeout_kafka_dlq_messages_total',
      help: 'Messages sent to their dead-letter topic, by original topic and reason class',
      labelNames: ['topic', 'reason_class'],
    }),
    handlerDuration: histogram({
      name: 'closeout_kafka_handler_duration_seconds',
      help: 'Time spent in a message handler, per attempt',
      labelNames: ['topic', 'group', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
  };
}
