import { KafkaClient } from '../kafka-client';
import { BrokerRejectedError, MessageTooLargeError } from '../kafka.errors';
import {
  catalogWith,
  integrationEnv,
  rawKafka,
  readRaw,
  testTopic,
  writebackRequested,
} from '../testing/integration';
import { publishFailureOf } from './publish-failure';

/**
 * "Too large" is decided the same way every time: by the publisher's own limit before any request, and, where a
 * topic is stricter than that limit, by the broker's refusal, which the producer reports as permanent and survives.
 */
describe('message size (real Kafka)', () => {
  const topic = testTopic();
  const { brokers, security, registryUrl } = integrationEnv();
  let kafka: KafkaClient;

  beforeAll(async () => {
    // A topic stricter than the publisher's limit, as an operator may configure one.
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [{ name: 'max.message.bytes', value: '20000' }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    kafka = new KafkaClient({
      clientId: `message-size-${topic}`,
      brokers,
      security,
      schemaRegistryUrl: registryUrl,
      catalog: catalogWith(topic),
      maxMessageBytes: 50_000,
    });
    await kafka.start();
    await kafka.serde.prepareTopics([topic]);
  });

  afterAll(() => kafka.close());

  const event = (n: number, payloadBytes: number) => {
    const value = writebackRequested(n, { payloadJson: 'x'.repeat(payloadBytes) });
    return { topic, key: { caseId: value.caseId }, value, headers: { correlationId: value.correlationId } };
  };

  it('refuses a message over its own limit before sending, permanently', async () => {
    const attempt = kafka.publisher.publishManyToTopics([event(1, 60_000)]);
    await expect(attempt).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(publishFailureOf(await attempt.catch((e: unknown) => e))).toMatchObject({
      class: 'too-large',
      permanent: true,
    });
  });

  it('reports the broker refusing a record as permanent, and keeps publishing after it', async () => {
    const refused = await kafka.publisher.publishManyToTopics([event(2, 30_000)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(BrokerRejectedError);
    expect(refused).toMatchObject({ brokerError: 'MESSAGE_TOO_LARGE', topics: [topic] });
    expect(publishFailureOf(refused)).toMatchObject({ class: 'broker-rejected', permanent: true });

    // The idempotent producer's sequence numbers survive the refusal: the next record is written, and only it.
    await kafka.publisher.publishManyToTopics([event(3, 100)]);
    const onTopic = await readRaw(topic, { until: (c) => c.length >= 1, timeoutMs: 10_000 });
    expect(onTopic).toHaveLength(1);
    expect(onTopic[0]!.message.headers?.['correlation-id']?.toString()).toBe('corr-3');
  });
});
