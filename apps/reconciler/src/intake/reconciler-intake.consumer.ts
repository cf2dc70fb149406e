import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import { EventSubscriber, type Subscription } from '@closeout/kafka';
import { ReadinessRegistry } from '@closeout/platform';
import { RECONCILER_CONFIG } from '../reconciler.tokens';
import type { Config } from '../config';
import { ReconcilerRepository } from '../persistence/reconciler.repository';
import { countCaseEnd } from '../slo/case-ends.metrics';

/**
 * Builds the reconciler's own view from the topics: writeback.requested, writeback.result and case.state, each
 * upserted so that redelivery changes nothing and results may arrive before their requests. Offsets are committed
 * by the subscriber only after the row is written.
 */
@Injectable()
export class ReconcilerIntakeConsumer implements OnApplicationBootstrap {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(RECONCILER_CONFIG) private readonly config: Config,
    private readonly dataSource: DataSource,
    private readonly subscriber: EventSubscriber,
    private readonly readiness: ReadinessRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const repository = new ReconcilerRepository(this.dataSource);
    const group = this.config.RECONCILER_CONSUMER_GROUP ?? this.config.SERVICE_NAME;
    const scope = this.config.RECONCILER_DESTINATIONS;
    // Out of scope: another reconciler's to judge, so not even recorded (the offset still moves on).
    const inScope = (destination: string): boolean => scope === null || scope.has(destination);
    this.subscriptions.push(
      await this.subscriber.subscribe({
        groupId: `${group}.writeback-requested`,
        topic: Topics.writebackRequested,
        fromBeginning: true,
        handler: async ({ value }) => (inScope(value.destination) ? repository.recordRequested(value) : undefined),
      }),
      await this.subscriber.subscribe({
        groupId: `${group}.writeback-result`,
        topic: Topics.writebackResult,
        fromBeginning: true,
        handler: async ({ value }) => void (inScope(value.destination) ? await repository.recordResult(value) : undefined),
      }),
      await this.subscriber.subscribe({
        groupId: `${group}.case-state`,
        topic: Topics.caseState,
        fromBeginning: true,
        handler: async ({ value }) => {
          const ended = await repository.recordCaseState(value);
          if (ended) countCaseEnd(ended);
        },
      }),
    );
    let positioned = false;
    void Promise.all(this.subscriptions.map((s) => s.whenPositioned())).then(() => (positioned = true));
    this.readiness.register({
      name: 'reconciler-intake',
      check: () => {
        const failed = this.subscriptions.find((s) => s.failure !== undefined);
        if (failed) return Promise.resolve({ ok: false, detail: `${failed.topic}: ${failed.failure}` });
        return Promise.resolve(positioned ? { ok: true } : { ok: false, detail: 'consumers joining their groups' });
      },
    });
  }

  /** Resolves once every consumer knows where it reads from (tests publish after this). */
  whenPositioned(): Promise<void> {
    return Promise.all(this.subscriptions.map((s) => s.whenPositioned())).then(() => undefined);
  }
}
