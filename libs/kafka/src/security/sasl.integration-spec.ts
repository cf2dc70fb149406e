/**
 * The brokers' SASL/SCRAM listener (tools/devstack: SASL_PLAINTEXT, SCRAM-SHA-512 on 127.0.0.1:9094): the suite's
 * own settings are SASL, the lib connects with them and round-trips a message, and a wrong password is refused.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@closeout/contracts';
import { kafkajsSecurity } from '../connection/kafka-connection';
import { KafkaClient } from '../kafka-client';
import { SchemaCatalog } from '../serde/schema-catalog';
import {
  catalogWith,
  eventually,
  integrationEnv,
  testClient,
  testTopic,
  unique,
  writebackRequested,
} from '../testing/integration';

const WRONG_PASSWORD = 'not-the-password-7f3a9c';

describe('Kafka over SASL/SCRAM', () => {
  it('the integration suite connects through SASL with SCRAM, as the tools user', () => {
    const { security } = integrationEnv();
    expect(security.protocol).toMatch(/^SASL_(PLAINTEXT|SSL)$/);
    expect(security.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'closeout-tools' });
    expect(security.sasl?.password.length).toBeGreaterThan(0);
  });

  it('publishes and consumes a message with the right credentials', async () => {
    const topic = testTopic();
    const kafka = testClient(catalogWith(topic), [{ topic, partitions: 1 }]);
    try {
      await kafka.start();
      const received: string[] = [];
      const subscription = await kafka.subscriber.subscribeToTopic<unknown, { eventId: string }>({
        groupId: unique('sasl-it'),
        topic,
        fromBeginning: true,
        handler: ({ value }) => {
          received.push(value.eventId);
          return Promise.resolve();
        },
      });
      await subscription.whenPositioned();
      await kafka.publisher.publishToTopic(topic, { caseId: 'case-sasl-1' }, writebackRequested(1, { eventId: 'sasl-1' }), {
        correlationId: 'corr-sasl-1',
      });
      expect(await eventually(() => received.includes('sasl-1'))).toBe(true);
      expect((await kafka.health.check()).ready).toBe(true);
    } finally {
      await kafka.close();
    }
  });

  it('refuses a wrong password with an authentication error that does not carry the password', async () => {
    const { brokers, security } = integrationEnv();
    const wrong = {
      ...security,
      sasl: { mechanism: security.sasl!.mechanism, username: security.sasl!.username, password: WRONG_PASSWORD },
    };
    const admin = new Kafka({
      clientId: unique('sasl-it-wrong'),
      brokers,
      ...kafkajsSecurity(wrong),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    const error = await admin.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await admin.disconnect();
    expect(error?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(error?.message).toMatch(/SASL SCRAM SHA512 authentication failed/);
    expect(error?.message).not.toContain(WRONG_PASSWORD);

    // Through the lib, a service with a wrong password fails to start (and so never reports ready).
    const kafka = new KafkaClient({
      clientId: unique('sasl-it-wrong-lib'),
      brokers,
      security: wrong,
      schemaRegistryUrl: integrationEnv().registryUrl,
      catalog: new SchemaCatalog(),
      topics: [Topics.writebackResult],
    });
    try {
      const failure = await kafka.start().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(`${failure?.name}: ${failure?.message}`).toMatch(/SASL|authentication/i);
      expect(failure?.message).not.toContain(WRONG_PASSWORD);
    } finally {
      await kafka.close();
    }
  });

  it('refuses a client that does not speak SASL on the SASL listener', async () => {
    const { brokers } = integrationEnv();
    const admin = new Kafka({
      clientId: unique('sasl-it-plain'),
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
    }).admin();
    // The broker answers ApiVersions before authentication; any other request without SASL closes the connection.
    await expect(
      (async () => {
        await admin.connect();
        await admin.listTopics();
      })(),
    ).rejects.toThrow();
    await admin.disconnect();
  });
});
