/**
 * Helpers for this lib's integration tests: endpoints from the environment the Jest global setup
 * resolved (tools/devstack, containers or given endpoints), fresh names per run, short group timings,
 * and plain-kafkajs readers that check what is on the wire independently of the lib.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type { KafkaSecurity } from '@closeout/config';
import { avroSchemas, type WritebackRequested } from '@closeout/contracts';
import { kafkaConnectionFromEnv, kafkajsSecurity } from '../connection/kafka-connection';
import type { ConsumerTuning } from '../consumer/event-subscriber';
import { KafkaClient } from '../kafka-client';
import { SchemaCatalog } from '../serde/schema-catalog';

/**
 * The brokers (with their TLS and SASL settings: the devstack's SASL/SCRAM listener and its tools user) and the
 * registry the global setup resolved.
 */
export function integrationEnv(): { brokers: string[]; security: KafkaSecurity; registryUrl: string } {
  // Tests read the environment directly: they are not services and have no config module of their own.
  const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
  if (!process.env['KAFKA_BROKERS'] || !registryUrl)
    throw new Error(
      'KAFKA_BROKERS and SCHEMA_REGISTRY_URL must be set (the integration global setup does it)',
    );
  return { ...kafkaConnectionFromEnv(process.env), registryUrl };
}

export const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A topic outside the contracts, named like ours so TopicNameStrategy subjects look the same. */
export const testTopic = (): string => `test.${randomUUID().slice(0, 8)}.v1`;

/** Group timings short enough for a test suite, per the devstack broker (initial rebalance delay 0). */
export const fastConsumer: ConsumerTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 100,
};

/** Test topics carry the real CaseKey and WritebackRequested schemas under their own subjects. */
export function catalogWith(...topics: string[]): SchemaCatalog {
  const catalog = new SchemaCatalog();
  for (const topic of topics) {
    catalog.define(topic, {
      keySchema: avroSchemas['case-key'],
      valueSchema: avroSchemas['writeback.requested.v1-value'],
    });
  }
  return catalog;
}

export function testClient(
  catalog: SchemaCatalog,
  topics: Array<string | { topic: string; partitions: number }> = [],
): KafkaClient {
  const { brokers, security, registryUrl } = integrationEnv();
  return new KafkaClient({
    clientId: unique('kafka-it'),
    brokers,
    security,
    schemaRegistryUrl: registryUrl,
    catalog,
    topics,
    consumerDefaults: fastConsumer,
    retry: { initialBackoffMs: 100, maxBackoffMs: 400 },
  });
}

/** A started test client for these topics (created with their partition counts), carrying writeback.requested. */
export async function startTestClient(
  topics: Array<{ topic: string; partitions: number }>,
): Promise<KafkaClient> {
  const kafka = testClient(catalogWith(...topics.map((t) => t.topic)), topics);
  await kafka.start();
  return kafka;
}

/**
 * Publishes `writebackRequested(n)` for n = from … from + count - 1 to `topic` in one send, each keyed by the case
 * `caseOf(n)` names, with correlation id `corr-<n>`.
 */
export function publishRequests(
  kafka: KafkaClient,
  topic: string,
  range: { from: number; count: number; caseOf: (n: number) => string },
): ReturnType<KafkaClient['publisher']['publishManyToTopics']> {
  return kafka.publisher.publishManyToTopics(
    Array.from({ length: range.count }, (_, i) => range.from + i).map((n) => ({
      topic,
      key: { caseId: range.caseOf(n) },
      value: writebackRequested(n),
      headers: { correlationId: `corr-${n}` },
    })),
  );
}

export function writebackRequested(
  n: number,
  overrides: Partial<WritebackRequested> = {},
): WritebackRequested {
  return {
    eventId: `evt-${n}`,
    occurredAt: 1_735_689_600_000 + n,
    correlationId: `corr-${n}`,
    causationId: null,
    idempotencyKey: `idem-${n}`,
    destination: 'core-banking',
    protocol: 'REST',
    operation: 'payment.post',
    caseId: `case-${n}`,
    workflowId: 'failed-payment-recovery',
    contractVersion: '1',
    mappingVersion: '1',
    payloadJson: JSON.stringify({ amountMinor: 1000 + n, currency: 'EUR' }),
    consentRef: null,
    requestedAt: 1_735_689_600_000 + n,
    ...overrides,
  };
}

/** A plain kafkajs client: how the tests produce raw bytes and read topics without the lib. */
export function rawKafka(): Kafka {
  const { brokers, security } = integrationEnv();
  return new Kafka({
    clientId: unique('kafka-it-raw'),
    brokers,
    ...kafkajsSecurity(security),
    logLevel: logLevel.NOTHING,
  });
}

export interface RawMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads `topic` from the beginning with plain kafkajs until `until` accepts what was collected (or the
 * timeout passes), then returns the messages that matched `filter`.
 */
export async function readRaw(
  topic: string,
  options: {
    filter?: (m: RawMessage) => boolean;
    until: (collected: RawMessage[]) => boolean;
    timeoutMs?: number;
  },
): Promise<RawMessage[]> {
  const consumer = rawKafka().consumer({
    groupId: unique('kafka-it-reader'),
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const collected: RawMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        const m = { topic: t, partition, message };
        if (!options.filter || options.filter(m)) collected.push(m);
        if (options.until(collected)) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 15_000))),
    ]);
    clearTimeout(timer);
    return collected;
  } finally {
    await consumer.disconnect();
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(
  condition: () => boolean,
  timeoutMs = 15_000,
  stepMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return condition();
}

/** Sum of high watermarks: how many messages a topic has ever received. */
export async function messageCount(topic: string): Promise<number> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}
