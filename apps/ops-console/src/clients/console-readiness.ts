import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@closeout/platform';
import { Sources } from './sources';

/**
 * The console is ready when the orchestrator answers: without it there is no queue and no case. The other sources
 * are optional, and a page says when one does not answer.
 */
@Injectable()
export class ConsoleReadiness implements OnModuleInit {
  constructor(
    private readonly registry: ReadinessRegistry,
    private readonly sources: Sources,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'orchestrator',
      check: async () => {
        const live = await this.sources.orchestrator.get<unknown>('/health/live');
        return live.ok ? { ok: true } : { ok: false, detail: live.reason };
      },
    });
  }
}
