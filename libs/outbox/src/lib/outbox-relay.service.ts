import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@closeout/kafka';
import { ReadinessRegistry } from '@closeout/platform';
import { OutboxRelay } from './outbox-relay';

/** How a service's relay runs: its outbox schema (default: the data source's), retention and poll interval. */
export interface OutboxRelaySettings {
  schema?: string;
  /** How long a published message is kept (OUTBOX_RETENTION_MS). */
  retentionMs: number;
  pollIntervalMs?: number;
  /** How long the relay lets messages gather after waking before it takes a batch (OutboxRelay's lingerMs; 0). */
  lingerMs?: number;
}

export const OUTBOX_RELAY_SETTINGS = Symbol('closeout.outbox-relay-settings');

/**
 * A service's outbox relay as a Nest provider: started at bootstrap with an `outbox` readiness check (red while the
 * relay is not running; the detail says how many messages wait and for how long), drained at shutdown. What is
 * still unpublished then goes out at the next start.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly relay: OutboxRelay;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(OUTBOX_RELAY_SETTINGS) settings: OutboxRelaySettings,
    publisher: EventPublisher,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.relay = new OutboxRelay({
      dataSource: db,
      ...(settings.schema !== undefined ? { schema: settings.schema } : {}),
      publish: (messages) => publisher.publishMany(messages),
      pollIntervalMs: settings.pollIntervalMs ?? 200,
      ...(settings.lingerMs !== undefined ? { lingerMs: settings.lingerMs } : {}),
      retentionMs: settings.retentionMs,
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
