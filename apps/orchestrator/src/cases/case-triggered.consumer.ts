import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { EventSubscriber } from '@closeout/kafka';
import { OpenCaseUseCase } from './open-case.use-case';

@Injectable()
export class CaseTriggeredConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly openCase: OpenCaseUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: 'orchestrator.case-triggered',
      topic: Topics.caseTriggered,
      handler: async (message) => {
        await this.openCase.execute(message.value);
      },
    });
  }
}
