/**
 * In-memory implementations of the ports, for unit tests of the publisher and the subscriber without a
 * broker or a registry. Not exported from the lib's index: production code always uses real adapters.
 */
import { Type } from 'avsc';
import { DecodeError, InvalidMessageError, type ValidationProblem } from '../kafka.errors';
import type {
  AdminPort,
  ConsumerOptions,
  ConsumerPort,
  IncomingRecord,
  MessageBus,
  OutgoingRecord,
  PartitionBatch,
  ProducerPort,
} from '../ports/message-bus.port';
import type { MessageSerde } from '../ports/message-serde.port';
import { validateAvro } from '../serde/avro-validation';
import { SchemaCatalog, type MessagePart } from '../serde/schema-catalog';
import { readWireHeader } from '../serde/wire-format';

/** A serde that validates against the real schemas but encodes the body as JSON behind a Confluent header. */
export class JsonBodySerde implements MessageSerde {
  private readonly types = new Map<string, Type>();

  constructor(private readonly catalog = new SchemaCatalog()) {}

  /** Nothing to register: schemas are read from the catalog on first use. */
  prepareTopics(): Promise<void> {
    return Promise.resolve();
  }

  validate(topic: string, part: MessagePart, value: unknown): ValidationProblem[] {
    const id = `${topic}-${part}`;
    let type = this.types.get(id);
    if (!type) {
      type = Type.forSchema(JSON.parse(this.catalog.schemaText(topic, part)));
      this.types.set(id, type);
    }
    return validateAvro(type, value);
  }

  async encode(topic: string, part: MessagePart, value: unknown): Promise<Buffer> {
    const problems = this.validate(topic, part, value);
    if (problems.length > 0) throw new InvalidMessageError(topic, part, problems);
    return Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(JSON.stringify(value))]);
  }

  async decode(_topic: string, part: MessagePart, bytes: Buffer | null): Promise<unknown> {
    if (!bytes) throw new DecodeError(part === 'key' ? 'null-key' : 'null-value', part, 'empty');
    const header = readWireHeader(bytes);
    if (!header.ok) throw new DecodeError('bad-magic-byte', part, header.reason);
    return JSON.parse(header.body.toString('utf8'));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }
}

export class RecordingProducer implements ProducerPort {
  readonly sends: OutgoingRecord[][] = [];
  failNext = 0;
  connected = false;

  async connect(): Promise<void> {
    this.connected = true;
  }

  async send(records: OutgoingRecord[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unavailable');
    }
    this.sends.push(records);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  get records(): OutgoingRecord[] {
    return this.sends.flat();
  }
}

/** A consumer whose batches the test hands over one at a time, recording what the subscriber marks and pauses. */
export class ScriptedConsumer implements ConsumerPort {
  readonly marked: string[] = [];
  readonly paused: number[] = [];
  readonly resumed: number[] = [];
  stopped = false;
  connected = false;
  topics: string[] = [];
  heartbeats = 0;
  private onBatch: ((batch: PartitionBatch) => Promise<void>) | undefined;
  private readonly crashListeners: Array<(error: Error, willRestart: boolean) => void> = [];

  constructor(readonly options: ConsumerOptions) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async subscribe(topics: string[]): Promise<void> {
    this.topics = topics;
  }

  async run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    this.onBatch = onBatch;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  onCrash(listener: (error: Error, willRestart: boolean) => void): void {
    this.crashListeners.push(listener);
  }

  /** Simulates the client giving up on this consumer. */
  crash(error: Error, willRestart: boolean): void {
    for (const listener of this.crashListeners) listener(error, willRestart);
  }

  onPositioned(listener: () => void): void {
    listener();
  }

  /** Delivers records of one partition, as the client would after a fetch. */
  async deliver(records: IncomingRecord[]): Promise<void> {
    const first = records[0];
    if (!this.onBatch || !first) throw new Error('not running or nothing to deliver');
    await this.onBatch({
      topic: first.topic,
      partition: first.partition,
      records,
      markProcessed: (offset) => this.marked.push(offset),
      commitIfDue: async () => undefined,
      pause: () => {
        this.paused.push(first.partition);
        return () => this.resumed.push(first.partition);
      },
      heartbeat: async () => void (this.heartbeats += 1),
      isActive: () => !this.stopped,
    });
  }
}

export class ScriptedBus implements MessageBus {
  readonly consumers: ScriptedConsumer[] = [];

  constructor(readonly producerPort: RecordingProducer = new RecordingProducer()) {}

  producer(): ProducerPort {
    return this.producerPort;
  }

  consumer(options: ConsumerOptions): ConsumerPort {
    const consumer = new ScriptedConsumer(options);
    this.consumers.push(consumer);
    return consumer;
  }

  admin(): AdminPort {
    throw new Error('admin is not scripted');
  }
}
