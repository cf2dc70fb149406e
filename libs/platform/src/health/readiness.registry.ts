import { Injectable } from '@nestjs/common';

export interface ReadinessResult {
  ok: boolean;
  detail?: string;
}

/** A dependency the service cannot do its job without (Kafka, the registry, PostgreSQL, ...). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult>;
}

/**
 * Collects the readiness checks modules register at init; /health/ready is up only when all pass.
 * A registry (not multi-providers) so each module can add its check without the app listing them.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(check: ReadinessCheck): void {
    this.checks.set(check.name, check);
  }

  async evaluate(timeoutMs = 2_000): Promise<{ ready: boolean; checks: Record<string, ReadinessResult> }> {
    const entries = await Promise.all(
      [...this.checks.values()].map(async (c): Promise<[string, ReadinessResult]> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<ReadinessResult>((resolve) => {
          timer = setTimeout(
            () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
            timeoutMs,
          );
        });
        try {
          return [c.name, await Promise.race([c.check(), timeout])];
        } catch (err) {
          return [c.name, { ok: false, detail: (err as Error).message }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.length > 0 && entries.every(([, r]) => r.ok), checks };
  }
}
