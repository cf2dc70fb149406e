import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@closeout/kafka';
import { OutboxRelay } from '@closeout/outbox';
import { ReadinessRegistry } from '@closeout/platform';

/** How long a published outbox message is kept (OUTBOX_RETENTION_MS). */
export const OUTBOX_RETENTION_MS = Symbol('trigger-ingest.outbox-retention-ms');

/** Publishes trigger-ingest's outbox (case.triggered.v1 and the audit events of its decisions) to Kafka. */
@Injectable()
export class IngestOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(OUTBOX_RETENTION_MS) retentionMs: number,
    publisher: EventPublisher,
    private readonly readiness: ReadinessRegistry,
  ) {
    // The data source's schema (`ingest`) is the outbox's.
    this.relay = new OutboxRelay({
      dataSource: db,
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

  /** Drains what is left (the relay's drain timeout bounds it); anything still unpublished goes at the next start. */
  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}
