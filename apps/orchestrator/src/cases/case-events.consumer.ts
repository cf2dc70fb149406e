import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Topics } from '@closeout/contracts';
import { EventSubscriber, PoisonMessageError, type ConsumedMessage } from '@closeout/kafka';
import { TakeActionUseCase } from '../actions/take-action.use-case';
import { FlagBreakUseCase } from '../exceptions/flag-break.use-case';
import { RecordOutreachEventUseCase } from '../outreach/record-outreach-event.use-case';
import { UnknownWorkflowError } from '../workflows/workflow-catalog';
import { RecordWritebackResultUseCase } from '../writebacks/record-writeback-result.use-case';
import { CaseNotFoundError } from './case-errors';
import { OpenCaseUseCase } from './open-case.use-case';
import { ORCHESTRATOR_INSTANCE, type OrchestratorInstance } from './orchestrator-instance';

/** An event for a case not opened yet is retried in place a few times (the trigger may be a moment behind), then dead-lettered. */
const CASE_NOT_FOUND_ATTEMPTS = 8;

/**
 * Partitions are worked at once: events of one case share a partition (keyed by case id) and stay in order, and
 * events of one case arriving on different topics are serialised by the case's row lock.
 */
const PARALLEL = { partitionsConcurrently: 6 };

const handled = new Counter({
  name: 'closeout_orchestrator_events_total',
  help: 'Events the orchestrator handled, by topic and outcome',
  labelNames: ['topic', 'outcome'],
});

/**
 * The orchestrator's inputs, each a thin consumer: decode (the Kafka lib), call one use case, map a domain
 * error to retry or dead letter. Every use case is idempotent, so a redelivery changes nothing.
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.case-triggered`,
      topic: Topics.caseTriggered,
      consumer: PARALLEL,
      handler: (m) =>
        this.guard(m, async () => ((await this.openCase.execute(m.value)).opened ? 'opened' : 'duplicate')),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.outreach-event`,
      topic: Topics.outreachEvent,
      consumer: PARALLEL,
      handler: (m) => this.guard(m, async () => (await this.outreach.execute(m.value), 'recorded')),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.miniapp-action`,
      topic: Topics.miniappAction,
      consumer: PARALLEL,
      handler: (m) => this.guard(m, () => this.takeAction.execute(m.value)),
    });
    await this.subscriber.subscribe({
      groupId: `${this.instance.serviceName}.writeback-result`,
      topic: Topics.writebackResult,
      consumer: PARALLEL,
      handler: (m) => this.guard(m, () => this.results.execute(m.value)),
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
      handled.inc({ topic: message.topic, outcome: await work() });
    } catch (err) {
      if (err instanceof UnknownWorkflowError) throw new PoisonMessageError(err.message, { cause: err });
      if (err instanceof CaseNotFoundError && message.attempt >= CASE_NOT_FOUND_ATTEMPTS) {
        throw new PoisonMessageError(`${err.message}; gave up after ${message.attempt} attempts`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}
