import { Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaHealth } from '@closeout/kafka';
import { ReadinessRegistry } from '../health/readiness.registry';

/** Kafka's and the registry's health as readiness checks: a pod without either must not take partitions. */
@Injectable()
export class KafkaReadiness implements OnModuleInit {
  constructor(
    private readonly kafka: KafkaHealth,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    const part = (name: 'broker' | 'registry' | 'producer') => async () => {
      const report = await this.kafka.check();
      const p = report.parts[name];
      return { ok: p.ok, detail: p.detail ?? `${p.latencyMs} ms` };
    };
    this.readiness.register({ name: 'kafka', check: part('broker') });
    this.readiness.register({ name: 'kafka-producer', check: part('producer') });
    this.readiness.register({ name: 'schema-registry', check: part('registry') });
  }
}
