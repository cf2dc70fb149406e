import { Topics, type CaseKey, type WritebackRequested } from '@closeout/contracts';
import { currentContext } from '@closeout/telemetry';
import { PoisonMessageError } from '../kafka.errors';
import type { IncomingRecord } from '../ports/message-bus.port';
import type { RecordingProducer, ScriptedBus, ScriptedConsumer } from '../testing/in-memory-ports';
import { incomingRecord, scriptedSubscriber } from '../testing/scripted-subscriber';
import { membershipTuning, type ConsumedMessage, type EventSubscriber } from './event-subscriber';

/** The record at `offset`, on partition 2, with an idempotency key. */
const record = (offset: number, overrides: Partial<IncomingRecord> = {}): IncomingRecord =>
  incomingRecord(offset, {
    partition: 2,
    headers: {
      'correlation-id': Buffer.from(`corr-${offset}`),
      'idempotency-key': Buffer.from(`idem-${offset}`),
    },
    ...overrides,
  });

type Message = ConsumedMessage<CaseKey, WritebackRequested>;

describe('EventSubscriber', () => {
  let producer: RecordingProducer;
  let bus: ScriptedBus;
  let subscriber: EventSubscriber;
  let consumer: ScriptedConsumer;
  let handled: Message[];
  let behaviour: (m: Message) => Promise<void>;

  beforeEach(async () => {
    ({ producer, bus, subscriber } = scriptedSubscriber({
      defaults: { retry: { initialBackoffMs: 1, maxBackoffMs: 2 } },
    }));
    handled = [];
    behaviour = async () => undefined;
    await subscriber.subscribe({
      groupId: 'g-1',
      topic: Topics.writebackRequested,
      handler: async (m) => {
        await behaviour(m);
        handled.push(m);
      },
      validate: (m) => (m.value.eventId === 'evt-66' ? 'eventId 66 is not acceptable' : undefined),
    });
    consumer = bus.consumers[0]!;
  });

  afterEach(() => subscriber.stopAll());

  it('hands over decoded key, value and headers, then marks the offset', async () => {
    await consumer.deliver([record(7)]);
    expect(handled).toEqual([
      expect.objectContaining({
        topic: 'writeback.requested.v1',
        partition: 2,
        offset: '7',
        key: { caseId: 'case-7' },
        value: { eventId: 'evt-7' },
        headers: { correlationId: 'corr-7', idempotencyKey: 'idem-7' },
        attempt: 1,
      }),
    ]);
    expect(consumer.marked).toEqual(['7']);
  });

  it('runs the handler in the message context, so logs carry the correlation id', async () => {
    let seen: unknown;
    behaviour = async () => {
      seen = currentContext();
    };
    await consumer.deliver([record(8)]);
    expect(seen).toEqual({ correlationId: 'corr-8', idempotencyKey: 'idem-8' });
  });

  it('retries a transient failure in place: not marked, partition paused, then handled on redelivery', async () => {
    let failures = 0;
    behaviour = async () => {
      if (failures++ < 1) throw new Error('database timeout');
    };
    await consumer.deliver([record(10), record(11)]);
    expect(consumer.marked).toEqual([]);
    expect(consumer.paused).toEqual([2]);
    await new Promise((r) => setTimeout(r, 20));
    expect(consumer.resumed).toEqual([2]);

    await consumer.deliver([record(10), record(11)]);
    expect(handled.map((m) => [m.offset, m.attempt])).toEqual([
      ['10', 2],
      ['11', 1],
    ]);
    expect(consumer.marked).toEqual(['10', '11']);
    expect(producer.records).toEqual([]);
  });

  it('dead-letters a poison message with its original bytes and carries on with the next', async () => {
    behaviour = async (m) => {
      if (m.offset === '20') throw new PoisonMessageError('case-20 does not exist');
    };
    const poison = record(20);
    await consumer.deliver([poison, record(21)]);
    expect(handled.map((m) => m.offset)).toEqual(['21']);
    expect(consumer.marked).toEqual(['20', '21']);
    const [letter] = producer.records;
    expect(letter).toMatchObject({
      topic: 'writeback.requested.v1.dlq',
      key: poison.key,
      value: poison.value,
    });
    expect(letter?.headers).toMatchObject({
      'dlq-reason-class': 'poison',
      'dlq-reason': 'handler rejected the message: case-20 does not exist',
      'dlq-original-offset': '20',
      'correlation-id': Buffer.from('corr-20'),
    });
  });

  it('dead-letters undecodable bytes, a null key and a missing correlation id without calling the handler', async () => {
    await consumer.deliver([
      record(30, { value: Buffer.from('{"not":"avro"}') }),
      record(31, { key: null }),
      record(32, { headers: {} }),
      record(33),
    ]);
    expect(handled.map((m) => m.offset)).toEqual(['33']);
    expect(producer.records.map((r) => r.headers['dlq-reason-class'])).toEqual([
      'bad-magic-byte',
      'null-key',
      'missing-correlation-id',
    ]);
    expect(consumer.marked).toEqual(['30', '31', '32', '33']);
  });

  it('names a correlation id for a message without the header when the subscription derives one', async () => {
    const derived: Message[] = [];
    await subscriber.subscribe({
      groupId: 'g-upstream',
      topic: Topics.writebackRequested,
      deriveCorrelationId: (m) => `upstream-${m.value.eventId}`,
      handler: async (m) => {
        derived.push(m);
      },
    });
    const upstream = bus.consumers[1]!;
    await upstream.deliver([record(70, { headers: {} })]);
    expect(derived.map((m) => m.headers.correlationId)).toEqual(['upstream-evt-70']);
    expect(upstream.marked).toEqual(['70']);
    expect(producer.records).toEqual([]);
  });

  it('dead-letters a message its validator refuses', async () => {
    await consumer.deliver([record(66)]);
    expect(handled).toEqual([]);
    expect(producer.records[0]?.headers).toMatchObject({
      'dlq-reason-class': 'validation',
      'dlq-reason': 'validation failed: eventId 66 is not acceptable',
    });
    expect(consumer.marked).toEqual(['66']);
  });

  it('keeps a message uncommitted when its dead letter cannot be sent', async () => {
    producer.failNext = 1;
    await consumer.deliver([record(40, { key: null }), record(41)]);
    expect(consumer.marked).toEqual([]);
    expect(handled).toEqual([]);
    expect(consumer.paused).toEqual([2]);
  });

  it('reports a subscription whose consumer crashed for good, and not one that restarts', () => {
    consumer.crash(new Error('coordinator not available'), true);
    expect(subscriber.failedSubscriptions()).toEqual([]);
    consumer.crash(new Error('group authorization failed'), false);
    expect(subscriber.failedSubscriptions()).toEqual([
      { topic: 'writeback.requested.v1', groupId: 'g-1', reason: 'group authorization failed' },
    ]);
  });

  it('stops taking messages once stopping, leaving the rest uncommitted', async () => {
    behaviour = async (m) => {
      if (m.offset === '50') void subscriber.stopAll();
    };
    await consumer.deliver([record(50), record(51)]);
    expect(consumer.marked).toEqual(['50']);
    expect(consumer.stopped).toBe(true);
  });

  it("asks the client for short-session defaults, a subscription's own timings winning", () => {
    expect(consumer.options).toEqual({
      groupId: 'g-1',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 30_000,
      maxWaitTimeMs: 1_000,
    });
    expect(
      membershipTuning({ sessionTimeoutMs: 30_000 }, { sessionTimeoutMs: 6_000, maxWaitTimeMs: undefined }),
    ).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 30_000,
      maxWaitTimeMs: 1_000,
    });
  });

  it('refuses timings that would get a healthy member evicted, naming them', () => {
    expect(() => membershipTuning({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 3_000 })).toThrow(
      'heartbeatIntervalMs (3000) must be at most a third of sessionTimeoutMs (6000)',
    );
    expect(() => membershipTuning({ sessionTimeoutMs: 6_000, maxWaitTimeMs: 5_000 })).toThrow(
      'maxWaitTimeMs (5000) must be at most half of sessionTimeoutMs (6000)',
    );
  });

  describe('while a handler runs', () => {
    const slowSubscription = async (consumerTuning: {
      heartbeatIntervalMs: number;
      rebalanceTimeoutMs: number;
    }) => {
      const { bus: slowBus, subscriber: slow } = scriptedSubscriber({ producer });
      await slow.subscribe({
        groupId: 'g-slow',
        topic: Topics.writebackRequested,
        consumer: { sessionTimeoutMs: 6_000, ...consumerTuning },
        handler: () => new Promise((resolve) => setTimeout(resolve, 300)),
      });
      return { slow, slowConsumer: slowBus.consumers[0]! };
    };

    it('heartbeats on its behalf, so a handler slower than the session does not get its member evicted', async () => {
      const { slow, slowConsumer } = await slowSubscription({
        heartbeatIntervalMs: 40,
        rebalanceTimeoutMs: 30_000,
      });
      await slowConsumer.deliver([record(1)]);
      await slow.stopAll();
      // ~7 keep-alive beats in 300 ms, then the one after the record.
      expect(slowConsumer.heartbeats).toBeGreaterThanOrEqual(5);
    });

    it('stops heartbeating for a handler that runs past the rebalance timeout, so its partitions can move', async () => {
      const { slow, slowConsumer } = await slowSubscription({
        heartbeatIntervalMs: 40,
        rebalanceTimeoutMs: 100,
      });
      await slowConsumer.deliver([record(1)]);
      await slow.stopAll();
      expect(slowConsumer.heartbeats).toBeLessThanOrEqual(4);
    });
  });
});
