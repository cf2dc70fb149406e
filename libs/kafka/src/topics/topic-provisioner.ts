import { dlqTopic } from '@closeout/contracts';
import { createLogger } from '@closeout/telemetry';
import { TopicProvisioningError } from '../kafka.errors';
import type { AdminPort, TopicSpec } from '../ports/message-bus.port';

export interface TopicRequest {
  topic: string;
  /** Defaults to the provisioner's default (6: case-keyed topics are scaled by partitions). */
  partitions?: number;
  replicationFactor?: number;
}

export interface TopicProvisionerOptions {
  defaultPartitions: number;
  replicationFactor: number;
}

/** Every topic with its dead-letter topic, partitioned alike so a dead letter stays beside its case's key. */
export function topicSpecs(requests: TopicRequest[], options: TopicProvisionerOptions): TopicSpec[] {
  const specs = new Map<string, TopicSpec>();
  for (const request of requests) {
    const partitions = request.partitions ?? options.defaultPartitions;
    const replicationFactor = request.replicationFactor ?? options.replicationFactor;
    for (const topic of [request.topic, dlqTopic(request.topic)]) {
      if (!specs.has(topic)) specs.set(topic, { topic, partitions, replicationFactor });
    }
  }
  return [...specs.values()];
}

/**
 * Creates topics at startup (the brokers do not auto-create them). Idempotent: existing topics are
 * left as they are, including their partition count, which only an operator should change.
 */
export class TopicProvisioner {
  private readonly log = createLogger('kafka.topics');

  constructor(
    private readonly admin: AdminPort,
    private readonly options: TopicProvisionerOptions,
  ) {}

  async ensureTopics(requests: TopicRequest[]): Promise<void> {
    const specs = topicSpecs(requests, this.options);
    if (specs.length === 0) return;
    try {
      const created = await this.admin.createTopics(specs);
      if (created.length > 0) this.log.info({ topics: created }, 'topics created');
    } catch (error) {
      throw new TopicProvisioningError(
        specs.map((s) => s.topic),
        { cause: error },
      );
    }
  }
}
