import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { createLogger } from '@closeout/telemetry';
import { FireTimerUseCase } from './fire-timer.use-case';

export const TIMER_SCHEDULER_OPTIONS = Symbol('orchestrator.timer-scheduler-options');
export interface TimerSchedulerOptions {
  pollMs: number;
  batch: number;
}

const fired = new Counter({
  name: 'closeout_orchestrator_timers_fired_total',
  help: 'Durable timers fired (each exactly once)',
});

/**
 * Polls for due timers and fires each in its own transaction. Any number of replicas may run it: a timer is taken
 * under the case's row lock and only while unfired, so two replicas never both fire one.
 */
@Injectable()
export class TimerScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = createLogger('timer-scheduler');
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly timers: FireTimerUseCase,
    @Inject(TIMER_SCHEDULER_OPTIONS) private readonly options: TimerSchedulerOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** One pass: fires what is due now; returns how many fired. */
  async tick(): Promise<number> {
    let count = 0;
    for (const t of await this.timers.due(this.options.batch)) {
      if (this.stopping) break;
      if (await this.timers.fire(t.timer_id, t.case_id)) count += 1;
    }
    fired.inc(count);
    return count;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let count = 0;
      try {
        count = await this.tick();
      } catch (err) {
        this.log.warn({ err }, 'timer pass failed; due timers stay due');
      }
      if (count >= this.options.batch) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}
