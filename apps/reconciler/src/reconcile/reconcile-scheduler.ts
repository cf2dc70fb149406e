import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventPublisher } from '@closeout/kafka';
import { ReadinessRegistry } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import type { Config } from '../config';
import { CORE_EXTRACTS, type CoreExtractAdapter } from '../extracts/core-extract.port';
import { ReconcilerRepository } from '../persistence/reconciler.repository';
import { RECONCILER_CONFIG } from '../reconciler.tokens';
import { SloService } from '../slo/slo.service';
import { ReconcilePassUseCase, type PassSummary } from './reconcile-pass.use-case';

/** Runs the pass every RECONCILER_INTERVAL and on demand; one pass at a time per process, one per fleet by lock. */
@Injectable()
export class ReconcileScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('reconciler.scheduler');
  readonly repository: ReconcilerRepository;
  readonly slo: SloService;
  private readonly pass: ReconcilePassUseCase;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassSummary> | undefined;

  constructor(
    @Inject(RECONCILER_CONFIG) private readonly config: Config,
    @Inject(CORE_EXTRACTS) private readonly extracts: CoreExtractAdapter[],
    dataSource: DataSource,
    publisher: EventPublisher,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.repository = new ReconcilerRepository(dataSource);
    this.slo = new SloService(this.repository, config);
    this.pass = new ReconcilePassUseCase(dataSource, config, extracts, publisher, this.slo);
  }

  onApplicationBootstrap(): void {
    // Extract sources are probed for the operator's view, not for readiness: a core that is down must not take
    // the reconciler (and its view of every other core) out of service.
    for (const adapter of this.extracts) {
      this.readiness.register({
        name: `extract-${adapter.destination}`,
        check: async () => {
          try {
            await adapter.probe(this.config.RECONCILER_EXTRACT_TIMEOUT);
            return { ok: true };
          } catch (error) {
            return { ok: true, detail: `degraded: ${error instanceof Error ? error.message : String(error)}` };
          }
        },
      });
    }
    if (this.config.RECONCILER_INTERVAL > 0) this.schedule();
  }

  /** The pass now; a call while one runs in this process waits for that one. */
  runNow(): Promise<PassSummary> {
    this.running ??= this.pass.run().finally(() => (this.running = undefined));
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await Promise.allSettled(this.extracts.map((a) => a.close()));
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.runNow()
        .catch((error: unknown) => this.log.error({ err: error }, 'reconciliation pass failed; next one on schedule'))
        .finally(() => {
          if (this.timer) this.schedule();
        });
    }, this.config.RECONCILER_INTERVAL);
    this.timer.unref();
  }
}
