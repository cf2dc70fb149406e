import { KafkaClosedError } from '../kafka.errors';
import type { OutgoingRecord, ProducerPort } from '../ports/message-bus.port';

/**
 * The one producer a Kafka client shares between its publisher and its dead-letter path. Connects on
 * first use (or at start) exactly once, and refuses to send after close so a late publish during
 * shutdown fails loudly instead of reconnecting.
 */
export class SharedProducer implements ProducerPort {
  private connecting: Promise<void> | undefined;
  private connected = false;
  private closed = false;

  constructor(private readonly producer: ProducerPort) {}

  get isConnected(): boolean {
    return this.connected;
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaClosedError('the Kafka producer'));
    this.connecting ??= this.producer.connect().then(
      () => {
        this.connected = true;
      },
      (error: unknown) => {
        // Let the next call try again rather than caching the failure forever.
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  async send(records: OutgoingRecord[]): Promise<void> {
    await this.connect();
    await this.producer.send(records);
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connecting) {
      await this.connecting.catch(() => undefined);
      await this.producer.disconnect();
    }
    this.connected = false;
  }
}
