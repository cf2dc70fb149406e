/**
 * Throughput of libs/kafka (Avro through the schema registry, validation, headers, tracing, DLQ-aware
 * consumer) against raw kafkajs with JSON, on the same broker in the same run.
 *
 *   node_modules/.bin/node -r @swc-node/register tools/bench/kafka-throughput.ts [N] [rounds]
 *
 * Both sides use the same producer settings (idempotent, acks=all, one request in flight), the same
 * batch size per send, fresh 6-partition topics and a fresh consumer group reading from the beginning,
 * so the ratio is the cost of what the lib adds, not of different delivery guarantees. Produce and
 * consume are timed separately (the consumer starts after everything is produced). The two sides run
 * alternately for a few rounds (fresh topics each time) and the best round of each is reported, so
 * a burst of load from elsewhere on the machine does not decide the ratio.
 * Endpoints: KAFKA_BROKERS and SCHEMA_REGISTRY_URL, defaulting to tools/devstack's.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { avroSchemas, type CaseKey, type WritebackRequested } from '@closeout/contracts';
import { configureLogging } from '@closeout/telemetry';
import { KafkaClient, SchemaCatalog, kafkaConnectionFromEnv, kafkajsConnection } from '@closeout/kafka';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BATCH = 500;
const PARTITIONS = 6;
// A bench script reads its endpoints straight from the environment; it is not a service with a config module.
const connection = kafkaConnectionFromEnv(process.env, '127.0.0.1:9092');
const { brokers } = connection;
const registryUrl = process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export interface Result {
  produceMs: number;
  consumeMs: number;
}

function request(n: number, runId: string): WritebackRequested {
  return {
    eventId: `evt-${runId}-${n}`,
    occurredAt: 1_735_689_600_000 + n,
    correlationId: `corr-${runId}-${n}`,
    causationId: null,
    idempotencyKey: `idem-${runId}-${n}`,
    destination: 'core-banking',
    protocol: 'REST',
    operation: 'payment.post',
    caseId: `case-${n % 1000}`,
    workflowId: 'failed-payment-recovery',
    contractVersion: '1',
    mappingVersion: '3',
    payloadJson: JSON.stringify({ amountMinor: 1000 + n, currency: 'EUR', reference: `INV-${n}` }),
    consentRef: `consent-${n % 1000}`,
    requestedAt: 1_735_689_600_000 + n,
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function benchLib(runId: string): Promise<Result> {
  const topic = `bench.lib-${runId}.v1`;
  const catalog = new SchemaCatalog().define(topic, {
    keySchema: avroSchemas['case-key'],
    valueSchema: avroSchemas['writeback.requested.v1-value'],
  });
  const kafka = new KafkaClient({
    clientId: `bench-lib-${runId}`,
    ...connection,
    schemaRegistryUrl: registryUrl,
    catalog,
    topics: [{ topic, partitions: PARTITIONS }],
    consumerDefaults: { maxWaitTimeMs: 100 },
  });
  await kafka.start();
  try {
    const producedAt = Date.now();
    for (let from = 0; from < N; from += BATCH) {
      const events = [];
      for (let n = from; n < Math.min(N, from + BATCH); n++) {
        const value = request(n, runId);
        events.push({
          topic,
          key: { caseId: value.caseId },
          value,
          headers: { correlationId: value.correlationId, idempotencyKey: value.idempotencyKey },
        });
      }
      await kafka.publisher.publishManyToTopics(events);
    }
    const produceMs = Date.now() - producedAt;

    let consumed = 0;
    const consumeStarted = Date.now();
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId: `bench-lib-${runId}`,
      topic,
      fromBeginning: true,
      handler: async (m) => {
        if (m.value.caseId !== m.key.caseId) throw new Error('key and value disagree');
        consumed++;
      },
    });
    await waitFor(() => consumed >= N, `${N} messages through libs/kafka`);
    const consumeMs = Date.now() - consumeStarted;
    await subscription.stop();
    return { produceMs, consumeMs };
  } finally {
    await kafka.close();
  }
}

/** Raw kafkajs with JSON: `count` messages produced, then consumed by a fresh group. Exported for end-to-end.bench.ts. */
export async function benchRaw(runId: string, count = N): Promise<Result> {
  const topic = `bench.raw-${runId}.v1`;
  const kafka = new Kafka({ clientId: `bench-raw-${runId}`, ...kafkajsConnection(connection), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  await admin.disconnect();

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const producedAt = Date.now();
  for (let from = 0; from < count; from += BATCH) {
    const messages = [];
    for (let n = from; n < Math.min(count, from + BATCH); n++) {
      const value = request(n, runId);
      messages.push({
        key: JSON.stringify({ caseId: value.caseId }),
        value: JSON.stringify(value),
        headers: { 'correlation-id': value.correlationId, 'idempotency-key': value.idempotencyKey },
      });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  const produceMs = Date.now() - producedAt;
  await producer.disconnect();

  let consumed = 0;
  const consumer = kafka.consumer({ groupId: `bench-raw-${runId}`, maxWaitTimeInMs: 100 });
  const consumeStarted = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = JSON.parse(message.key!.toString()) as CaseKey;
      const value = JSON.parse(message.value!.toString()) as WritebackRequested;
      if (value.caseId !== key.caseId) throw new Error('key and value disagree');
      consumed++;
    },
  });
  await waitFor(() => consumed >= count, `${count} messages through raw kafkajs`);
  const consumeMs = Date.now() - consumeStarted;
  await consumer.disconnect();
  return { produceMs, consumeMs };
}

const rate = (count: number, ms: number) => Math.round((count * 1000) / ms);

function best(results: Result[]): Result {
  return {
    produceMs: Math.min(...results.map((r) => r.produceMs)),
    consumeMs: Math.min(...results.map((r) => r.consumeMs)),
  };
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn', service: 'kafka-bench' });
  console.log(
    `kafka throughput: N=${N}, ${PARTITIONS} partitions, ${BATCH} messages per send, best of ${ROUNDS} alternating rounds, brokers ${brokers.join(',')}`,
  );

  const raws: Result[] = [];
  const libs: Result[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const runId = randomUUID().slice(0, 8);
    raws.push(await benchRaw(runId));
    libs.push(await benchLib(runId));
    const [r, l] = [raws[raws.length - 1]!, libs[libs.length - 1]!];
    console.log(
      `  round ${round}: lib produce ${rate(N, l.produceMs)}/s consume ${rate(N, l.consumeMs)}/s | raw produce ${rate(N, r.produceMs)}/s consume ${rate(N, r.consumeMs)}/s`,
    );
  }
  const lib = best(libs);
  const raw = best(raws);

  const rows = [
    ['libs/kafka (Avro)', lib],
    ['raw kafkajs (JSON)', raw],
  ] as const;
  const pad = (s: string | number, w: number) => String(s).padStart(w);
  console.log(
    `${''.padEnd(22)}${pad('produce msg/s', 15)}${pad('consume msg/s', 15)}${pad('total msg/s', 13)}`,
  );
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(22)}${pad(rate(N, r.produceMs), 15)}${pad(rate(N, r.consumeMs), 15)}${pad(rate(N, r.produceMs + r.consumeMs), 13)}`,
    );
  }
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `${'ratio lib/raw'.padEnd(22)}${pad(ratio(raw.produceMs, lib.produceMs), 15)}${pad(ratio(raw.consumeMs, lib.consumeMs), 15)}${pad(
      ratio(raw.produceMs + raw.consumeMs, lib.produceMs + lib.consumeMs),
      13,
    )}`,
  );
}

// Run as a script; imported (by end-to-end.bench.ts) it only lends benchRaw.
if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
