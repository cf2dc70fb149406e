/**
 * An EventSubscriber over the in-memory ports, for unit tests of how it handles, retries and dead-letters what a
 * scripted consumer delivers. Not exported from the lib's index.
 */
import { Topics } from '@closeout/contracts';
import { EventSubscriber, type SubscriberDefaults } from '../consumer/event-subscriber';
import { DeadLetterPublisher } from '../dead-letter/dead-letter';
import { kafkaMetrics } from '../metrics/kafka.metrics';
import type { IncomingRecord } from '../ports/message-bus.port';
import { JsonBodySerde, RecordingProducer, ScriptedBus } from './in-memory-ports';

/** `value` as JsonBodySerde writes it: a Confluent wire header, then the JSON. */
export const jsonWire = (value: unknown): Buffer =>
  Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(JSON.stringify(value))]);

/** The record at `offset` of writeback.requested: its case, event and correlation id numbered by the offset. */
export function incomingRecord(offset: number, overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return {
    topic: Topics.writebackRequested,
    partition: 0,
    offset: String(offset),
    key: jsonWire({ caseId: `case-${offset}` }),
    value: jsonWire({ eventId: `evt-${offset}` }),
    headers: { 'correlation-id': Buffer.from(`corr-${offset}`) },
    timestamp: 1_700_000_000_000 + offset,
    ...overrides,
  };
}

/**
 * A subscriber whose consumers are the scripted bus's (`bus.consumers`, in subscription order) and whose dead
 * letters land in `producer` (a fresh one unless given).
 */
export function scriptedSubscriber(
  options: { defaults?: SubscriberDefaults; producer?: RecordingProducer } = {},
): { producer: RecordingProducer; bus: ScriptedBus; subscriber: EventSubscriber } {
  const producer = options.producer ?? new RecordingProducer();
  const bus = new ScriptedBus(producer);
  const metrics = kafkaMetrics();
  const subscriber = new EventSubscriber(
    { bus, serde: new JsonBodySerde(), deadLetters: new DeadLetterPublisher(producer, metrics), metrics },
    options.defaults,
  );
  return { producer, bus, subscriber };
}
