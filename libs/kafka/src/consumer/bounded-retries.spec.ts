import { Topics, type CaseKey, type WritebackRequested } from '@closeout/contracts';
import { currentContext } from '@closeout/telemetry';
import { TransientError } from '../kafka.errors';
import type { IncomingRecord } from '../ports/message-bus.port';
import type { RecordingProducer, ScriptedBus, ScriptedConsumer } from '../testing/in-memory-ports';
import { incomingRecord, scriptedSubscriber } from '../testing/scripted-subscriber';
import type { ConsumedMessage, EventSubscriber } from './event-subscriber';

/** The record at `offset`, on partition 3. */
const record = (offset: number, overrides: Partial<IncomingRecord> = {}): IncomingRecord =>
  incomingRecord(offset, { partition: 3, ...overrides });

type Message = ConsumedMessage<CaseKey, WritebackRequested>;
const nulByte = () =>
  Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('bounded retries, dead letters and stuck partitions', () => {
  let producer: RecordingProducer;
  let bus: ScriptedBus;
  let subscriber: EventSubscriber;

  beforeEach(() => {
    ({ producer, bus, subscriber } = scriptedSubscriber({
      defaults: { retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxAttempts: 3, stuckAfterMs: 40 } },
    }));
  });

  afterEach(() => subscriber.stopAll());

  /** Delivers the records again and again, as the client would after each retry, until the last is marked. */
  async function redeliver(
    consumer: ScriptedConsumer,
    records: IncomingRecord[],
    times: number,
  ): Promise<void> {
    for (let i = 0; i < times && !consumer.marked.includes(records.at(-1)!.offset); i++) {
      await consumer.deliver(records);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  const letters = () =>
    producer.records.map((r) => ({
      offset: r.headers['dlq-original-offset'],
      reasonClass: r.headers['dlq-reason-class'],
      reason: r.headers['dlq-reason'],
    }));

  it('dead-letters a message failing deterministically after maxAttempts as exhausted, once, and moves on', async () => {
    const tries: number[] = [];
    const handled: string[] = [];
    await subscriber.subscribe({
      groupId: 'g-bounded',
      topic: Topics.writebackRequested,
      handler: async (m: Message) => {
        if (m.offset === '5') {
          tries.push(m.attempt);
          throw nulByte();
        }
        handled.push(m.offset);
      },
    });
    const consumer = bus.consumers[0]!;
    await redeliver(consumer, [record(5)], 10);
    await consumer.deliver([record(6)]);

    expect(tries).toEqual([1, 2, 3]);
    expect(letters()).toEqual([
      {
        offset: '5',
        reasonClass: 'exhausted',
        reason: 'handler failed 3 times (maxAttempts 3): Error (code 22021)',
      },
    ]);
    expect(handled).toEqual(['6']);
    expect(consumer.marked).toEqual(['5', '6']);
  });

  it('retries a transient failure past maxAttempts without dead-lettering, and reports the partition stuck meanwhile', async () => {
    let down = true;
    const handled: string[] = [];
    await subscriber.subscribe({
      groupId: 'g-transient',
      topic: Topics.writebackRequested,
      handler: async (m: Message) => {
        if (down) throw new TransientError('core answered 503', { cause: refused() });
        handled.push(m.offset);
      },
    });
    const consumer = bus.consumers[0]!;
    await redeliver(consumer, [record(9)], 6);
    expect(consumer.marked).toEqual([]);
    expect(producer.records).toEqual([]);

    await new Promise((r) => setTimeout(r, 50));
    await consumer.deliver([record(9)]);
    expect(subscriber.stuckPartitions()).toEqual([
      {
        topic: Topics.writebackRequested,
        groupId: 'g-transient',
        partition: 3,
        offset: '9',
        forMs: expect.any(Number),
        why: 'TransientError (code ECONNREFUSED)',
      },
    ]);

    down = false;
    await new Promise((r) => setTimeout(r, 5));
    await consumer.deliver([record(9)]);
    expect(handled).toEqual(['9']);
    expect(subscriber.stuckPartitions()).toEqual([]);
    expect(producer.records).toEqual([]);
  });

  it('hands a failed batch over one message at a time: one dead letter per bad message, the good ones handled', async () => {
    const calls: string[][] = [];
    await subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId: 'g-batch',
      topic: Topics.writebackRequested,
      batchHandler: async (messages) => {
        if (messages.some((m) => m.offset === '12'))
          throw new TypeError('Cannot read properties of undefined');
        calls.push(messages.map((m) => m.offset));
      },
    });
    const consumer = bus.consumers[0]!;
    const batch = [
      record(10),
      record(11, { value: Buffer.from('not avro') }),
      record(12),
      record(13),
      record(14),
    ];
    for (let i = 0; i < 10 && !consumer.marked.includes('14'); i++) {
      const from =
        consumer.marked.length === 0 ? 0 : batch.findIndex((r) => r.offset === consumer.marked.at(-1)) + 1;
      await consumer.deliver(batch.slice(from));
      await new Promise((r) => setTimeout(r, 5));
    }

    expect(letters().map(({ offset, reasonClass }) => [offset, reasonClass])).toEqual([
      ['11', 'bad-magic-byte'],
      ['12', 'exhausted'],
    ]);
    expect(calls.flat()).toEqual(['10', '13', '14']);
    expect(consumer.marked.at(-1)).toBe('14');
  });

  it('runs a batch message handed over alone in its own context, as a per-message handler runs', async () => {
    const contexts: Array<[string[], unknown]> = [];
    await subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId: 'g-batch-context',
      topic: Topics.writebackRequested,
      batchHandler: async (messages) => {
        contexts.push([messages.map((m) => m.offset), currentContext()]);
        if (messages.length > 1) throw new TypeError('Cannot read properties of undefined');
      },
    });
    await bus.consumers[0]!.deliver([record(30), record(31)]);

    expect(contexts).toEqual([
      [['30', '31'], undefined],
      [['30'], { correlationId: 'corr-30' }],
      [['31'], { correlationId: 'corr-31' }],
    ]);
    expect(bus.consumers[0]!.marked).toEqual(['30', '31']);
  });

  it('dead-letters an undecodable record of a batch retried on a dependency only once', async () => {
    let down = 2;
    await subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId: 'g-batch-transient',
      topic: Topics.writebackRequested,
      batchHandler: async () => {
        if (down-- > 0) throw refused();
      },
    });
    const consumer = bus.consumers[0]!;
    await redeliver(consumer, [record(20, { key: null }), record(21), record(22)], 5);
    expect(letters().map((l) => [l.offset, l.reasonClass])).toEqual([['20', 'null-key']]);
    expect(consumer.marked).toEqual(['22']);
  });
});
