import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@closeout/kafka';
import { ReadinessRegistry } from '@closeout/platform';
import { OutboxRelay } from '@closeout/outbox';
import { ORCHESTRATOR_INSTANCE, type OrchestratorInstance } from './orchestrator-instance';

/** How long a published outbox message is kept (OUTBOX_RETENTION_MS). */
export const OUTBOX_RETENTION_MS = Symbol('orchestrator.outbox-retention-ms');

/** Publishes the orchestrator's outbox (case.state, outreach.requested, writeback.requested, audit) to Kafka. */
@Injectable()
export class OrchestratorOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(ORCHESTRATOR_INSTANCE) instance: OrchestratorInstance,
    @Inject(OUTBOX_RETENTION_MS) retentionMs: number,
    publisher: EventPublisher,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.relay = new OutboxRelay({
      dataSource: db,
      schema: instance.schema,
      publish: (messages) => publisher.publishMany(messages),
      pollIntervalMs: 200,
      retentionMs,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
    this.readiness.register({
      name: 'outbox',
      check: async () => {
        const lag = await this.relay.lag();
        return {
          ok: this.relay.running,
          detail: `${lag.unpublished} unpublished, oldest ${lag.oldestAgeSeconds.toFixed(1)} s`,
        };
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}
