import 'reflect-metadata';
import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Topics, type CaseKey, type WritebackResult } from '@closeout/contracts';
import type { ConsumedMessage } from './consumer/event-subscriber';
import { EventSubscriber } from './consumer/event-subscriber';
import { KafkaHealth } from './health/kafka-health';
import { KafkaModule } from './kafka.module';
import { EventPublisher } from './producer/event-publisher';
import { fastConsumer, integrationEnv, unique } from './testing/integration';

const received: Array<ConsumedMessage<CaseKey, WritebackResult>> = [];
const correlationId = unique('corr-module');
const groupId = unique('module');

/** What a service's consumer looks like: subscribes on init, through the injected subscriber. */
@Injectable()
class WritebackResultConsumer implements OnModuleInit {
  ready: Promise<void> | undefined;

  constructor(@Inject(EventSubscriber) private readonly subscriber: EventSubscriber) {}

  async onModuleInit(): Promise<void> {
    const subscription = await this.subscriber.subscribe({
      groupId,
      topic: Topics.writebackResult,
      consumer: fastConsumer,
      handler: async (m) => {
        if (m.headers.correlationId === correlationId) received.push(m);
      },
    });
    this.ready = subscription.whenPositioned();
  }
}

describe('KafkaModule in a Nest application', () => {
  it('starts the client at init, injects publisher, subscriber and health, and shuts down cleanly', async () => {
    const { brokers, security, registryUrl } = integrationEnv();

    @Module({
      imports: [
        KafkaModule.forRoot({
          clientId: unique('module-it'),
          brokers,
          security,
          schemaRegistryUrl: registryUrl,
          topics: [Topics.writebackResult],
        }),
      ],
      providers: [WritebackResultConsumer],
    })
    class AppModule {}

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const health = await app.get(KafkaHealth).check();
      expect(health).toMatchObject({
        ready: true,
        parts: {
          broker: { ok: true },
          registry: { ok: true },
          producer: { ok: true },
          consumers: { ok: true },
        },
      });

      await app.get(WritebackResultConsumer).ready;
      await app.get(EventPublisher).publish(
        Topics.writebackResult,
        { caseId: 'case-module' },
        {
          eventId: unique('evt'),
          occurredAt: Date.now(),
          correlationId,
          causationId: null,
          idempotencyKey: 'idem-module',
          destination: 'core-banking',
          protocol: 'SOAP',
          operation: 'payment.post',
          caseId: 'case-module',
          workflowId: 'failed-payment-recovery',
          status: 'APPLIED',
          providerRef: 'TX-1',
          errorClass: null,
          errorMessage: null,
          attempts: 1,
          latencyMs: 120,
          contractVersion: '1',
          mappingVersion: '1',
          duplicate: false,
          destinationDegraded: false,
        },
        { correlationId },
      );
      const deadline = Date.now() + 15_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received.map((m) => m.value.status)).toEqual(['APPLIED']);
    } finally {
      await app.close();
    }
    // After close the client is gone: the probe says so instead of hanging.
    expect(await app.get(KafkaHealth).isReady()).toBe(false);
  });
});
