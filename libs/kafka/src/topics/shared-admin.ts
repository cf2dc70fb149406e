import { KafkaClosedError } from '../kafka.errors';
import type { AdminPort, TopicSpec } from '../ports/message-bus.port';

/** One admin connection shared by topic provisioning and the health probe, opened on first use. */
export class SharedAdmin implements AdminPort {
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly admin: AdminPort) {}

  connect(): Promise<void> {
    // A health probe after shutdown must not open a new connection that nothing will close.
    if (this.closed) return Promise.reject(new KafkaClosedError('the Kafka admin connection'));
    this.connecting ??= this.admin.connect().catch((error: unknown) => {
      // A broker that was down at boot may be up at the next probe: do not cache the failure.
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async listTopics(): Promise<string[]> {
    await this.connect();
    return this.admin.listTopics();
  }

  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    await this.connect();
    return this.admin.createTopics(specs);
  }

  async describeCluster(timeoutMs: number): Promise<{ brokers: number }> {
    await this.connect();
    return this.admin.describeCluster(timeoutMs);
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    if (!this.connecting) return;
    await this.connecting.catch(() => undefined);
    this.connecting = undefined;
    await this.admin.disconnect();
  }
}
