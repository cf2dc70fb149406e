import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { EventSubscriber } from '@closeout/kafka';
import { createLogger } from '@closeout/telemetry';
import { AUDIT_SERVICE_SETTINGS } from '../tokens';
import { storedEventProblem } from './audit-event-rules';
import { auditStoreMetrics } from './audit-store.metrics';
import { AuditStoreWriter } from './audit-store.writer';

/** Most events per batch: one transaction, one INSERT. */
export const AUDIT_BATCH = 500;

export interface AuditServiceSettings {
  serviceName: string;
  /** Where a group without committed offsets starts: the topic's earliest event (the default) or new ones only. */
  fromBeginning: boolean;
  checkpointEveryMs: number;
}

/**
 * `audit.event.v1` into the store: each partition batch is one append (one transaction, chained in offset order,
 * stored once per event id); an event the store cannot hold goes to the DLQ naming the field. A timer writes the
 * checkpoint a quiet store is due, and a clean stop seals what is left.
 */
@Injectable()
export class AuditEventConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('audit-store');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly writer: AuditStoreWriter,
    @Inject(AUDIT_SERVICE_SETTINGS) private readonly settings: AuditServiceSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: `${this.settings.serviceName}.audit-event`,
      topic: Topics.auditEvent,
      maxBatchSize: AUDIT_BATCH,
      fromBeginning: this.settings.fromBeginning,
      validate: ({ value }) => storedEventProblem(value),
      batchHandler: async (messages) => {
        const result = await this.writer.append(messages.map((m) => m.value));
        auditStoreMetrics.stored.inc(result.stored);
        auditStoreMetrics.duplicates.inc(result.duplicates);
        if (result.checkpoint) auditStoreMetrics.checkpoints.inc();
      },
    });
    // Checked four times per period, so a quiet store's records are sealed within 1¼ periods of the last one.
    const every = Math.max(250, Math.floor(this.settings.checkpointEveryMs / 4));
    this.timer = setInterval(() => void this.sealIfDue(false), every);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sealIfDue(true);
  }

  private async sealIfDue(force: boolean): Promise<void> {
    try {
      if (await this.writer.checkpoint(force)) auditStoreMetrics.checkpoints.inc();
    } catch (err) {
      this.log.warn({ err }, 'checkpoint not written; tried again at the next tick');
    }
  }
}
