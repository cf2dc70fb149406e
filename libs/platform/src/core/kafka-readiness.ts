import { Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaHealth, type KafkaHealthReport } from '@closeout/kafka';
import { ReadinessRegistry } from '../health/readiness.registry';

/** Kafka's and the registry's health as readiness checks: a pod without either must not take partitions. */
@Injectable()
export class KafkaReadiness implements OnModuleInit {
  constructor(
    private readonly kafka: KafkaHealth,
    private readonly readiness: ReadinessRegistry,
  ) {}

  private inFlight: Promise<KafkaHealthReport> | undefined;

  onModuleInit(): void {
    const part = (name: keyof KafkaHealthReport['parts']) => async () => {
      const report = await this.sharedCheck();
      const p = report.parts[name];
      return { ok: p.ok, detail: p.detail ?? `${p.latencyMs} ms` };
    };
    this.readiness.register({ name: 'kafka', check: part('broker') });
    this.readiness.register({ name: 'kafka-producer', check: part('producer') });
    this.readiness.register({ name: 'kafka-consumers', check: part('consumers') });
    this.readiness.register({ name: 'schema-registry', check: part('registry') });
  }

  /** One broker and registry round trip per probe, whichever part asks first; the others share its answer. */
  private sharedCheck(): Promise<KafkaHealthReport> {
    this.inFlight ??= this.kafka.check().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}
