import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { EventSubscriber, PoisonMessageError, type ConsumedMessage } from '@closeout/kafka';
import { TakeActionUseCase } from '../actions/take-action.use-case';
import { FlagBreakUseCase } from '../exceptions/flag-break.use-case';
import { RecordOutreachEventUseCase } from '../outreach/record-outreach-event.use-case';
import { RecordWritebackResultUseCase } from '../writebacks/record-writeback-result.use-case';
import { CASE_NOT_FOUND_ATTEMPTS, CaseBatchRunner, handledEvents, poisonReason } from './case-batch';
import { OpenCaseUseCase } from './open-case.use-case';
import { ORCHESTRATOR_INSTANCE, type OrchestratorInstance } from './orchestrator-instance';

/**
 * Partitions are worked at once: events of one case share a partition (keyed by case id) and stay in order, and
 * events of one case arriving on different topics are serialised by the case's row lock.
 */
const PARALLEL = { partitionsConcurrently: 6 };

/** Events per partition batch, applied in one transaction (case-batch.ts). */
const BATCH = 50;

/**
 * The orchestrator's inputs, each a thin consumer: decode (the Kafka lib), call one use case, map a domain error to
 * retry or dead letter. The busy topics are applied a partition batch per transaction. Every use case is idempotent,
 * so a redelivery changes nothing.
 */
@Injectable()
export class CaseEventsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    @Inject(ORCHESTRATOR_INSTANCE) private readonly instance: OrchestratorInstance,
    private readonly openCase: OpenCaseUseCase,
    private readonly outreach: RecordOutreachEventUseCase,
    private readonly takeAction: TakeActionUseCase,
    private readonly results: RecordWritebackResultUseCase,
    private readonly flags: FlagBreakUseCase,
    private readonly batches: CaseBatchRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.case-triggered`,
      topic: Topics.caseTriggered,
      consumer: PARALLEL,
      maxBatchSize: BATCH,
      batchHandler: (messages) =>
        this.batches.run(messages, {
          caseIdOf: (v) => v.caseId,
          prepare: (v) => this.openCase.prepare(v),
          apply: async (tx, v, prepared) =>
            (await this.openCase.executeIn(tx, v, prepared)).opened ? 'opened' : 'duplicate',
        }),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.outreach-event`,
      topic: Topics.outreachEvent,
      consumer: PARALLEL,
      retry: { maxAttempts: CASE_NOT_FOUND_ATTEMPTS },
      handler: (m) => this.guard(m, async () => (await this.outreach.execute(m.value), 'recorded')),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.miniapp-action`,
      topic: Topics.miniappAction,
      consumer: PARALLEL,
      retry: { maxAttempts: CASE_NOT_FOUND_ATTEMPTS },
      maxBatchSize: BATCH,
      batchHandler: (messages) =>
        this.batches.run(messages, {
          caseIdOf: (v) => v.caseId,
          apply: (tx, v) => this.takeAction.executeIn(tx, v),
        }),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.writeback-result`,
      topic: Topics.writebackResult,
      consumer: PARALLEL,
      maxBatchSize: BATCH,
      batchHandler: (messages) =>
        this.batches.run(messages, {
          caseIdOf: (v) => v.caseId,
          apply: (tx, v) => this.results.executeIn(tx, v),
        }),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.writeback-command`,
      topic: Topics.writebackCommand,
      consumer: PARALLEL,
      handler: (m) => this.guard(m, () => this.flags.execute(m.value)),
    });
  }

  private async guard<K, V>(message: ConsumedMessage<K, V>, work: () => Promise<string>): Promise<void> {
    try {
      handledEvents.inc({ topic: message.topic, outcome: await work() });
    } catch (err) {
      const reason = poisonReason(err, message.attempt);
      if (reason !== undefined) throw new PoisonMessageError(reason, { cause: err });
      throw err;
    }
  }
}
