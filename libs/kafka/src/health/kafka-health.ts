import { Injectable } from '@nestjs/common';
import type { AdminPort } from '../ports/message-bus.port';
import type { MessageSerde } from '../ports/message-serde.port';
import type { StuckPartition } from '../consumer/event-subscriber';

export interface HealthPart {
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

export interface KafkaHealthReport {
  ready: boolean;
  parts: {
    /** A broker answered a metadata request. */
    broker: HealthPart;
    /** The schema registry answered. */
    registry: HealthPart;
    /** The shared producer is connected (publishing will not have to connect first). */
    producer: HealthPart;
    /**
     * No subscription's consumer has died for good, and no partition is stuck (its head message failing for longer
     * than the subscription's `retry.stuckAfterMs`); green again once the partition moves.
     */
    consumers: HealthPart;
  };
}

const PROBE_TIMEOUT_MS = 2000;

/** Runs one probe, bounded by PROBE_TIMEOUT_MS whatever the client's own connect retries would take. */
async function probe(fn: () => Promise<string | undefined>): Promise<HealthPart> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    const detail = await Promise.race([fn(), timeout]);
    return { ok: true, latencyMs: Date.now() - started, ...(detail ? { detail } : {}) };
  } catch (error) {
    return { ok: false, latencyMs: Date.now() - started, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness of the Kafka side of a service, part by part, for /health/ready. */
@Injectable()
export class KafkaHealth {
  constructor(
    private readonly admin: AdminPort,
    private readonly serde: MessageSerde,
    private readonly producerConnected: () => boolean,
    private readonly failedConsumers: () => Array<{ topic: string; groupId: string; reason: string }>,
    private readonly stuckPartitions: () => StuckPartition[] = () => [],
  ) {}

  async check(): Promise<KafkaHealthReport> {
    const [broker, registry] = await Promise.all([
      probe(async () => `${(await this.admin.describeCluster(PROBE_TIMEOUT_MS)).brokers} broker(s)`),
      probe(async () => {
        await this.serde.ping(PROBE_TIMEOUT_MS);
        return undefined;
      }),
    ]);
    const connected = this.producerConnected();
    const producer: HealthPart = {
      ok: connected,
      latencyMs: 0,
      ...(connected ? {} : { detail: 'producer not connected' }),
    };
    const problems = [
      ...this.failedConsumers().map((f) => `${f.topic} (${f.groupId}): ${f.reason}`),
      // Where and for how long, and the error's class and code: never a message's content.
      ...this.stuckPartitions().map(
        (s) =>
          `${s.topic} (${s.groupId}) partition ${s.partition} stuck at offset ${s.offset} for ${Math.round(s.forMs / 1000)} s: ${s.why}`,
      ),
    ];
    const consumers: HealthPart = {
      ok: problems.length === 0,
      latencyMs: 0,
      ...(problems.length > 0 ? { detail: problems.join('; ') } : {}),
    };
    return {
      ready: broker.ok && registry.ok && producer.ok && consumers.ok,
      parts: { broker, registry, producer, consumers },
    };
  }

  async isReady(): Promise<boolean> {
    return (await this.check()).ready;
  }
}
