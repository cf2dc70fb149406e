import { Injectable } from '@nestjs/common';
import type { KeyOf, TopicName, ValueOf } from '@closeout/contracts';
import {
  contextWithSpan,
  extractTraceContext,
  failSpan,
  injectTraceHeaders,
  messageTraceContext,
  startSpan,
  type Span,
} from '@closeout/telemetry';
import { MessageTooLargeError, MissingHeaderError, MissingKeyError } from '../kafka.errors';
import { closeoutSpanAttributes, toWireHeaders, type PublishHeaders } from '../headers/message-headers';
import type { KafkaMetrics } from '../metrics/kafka.metrics';
import type { OutgoingRecord, ProducerPort } from '../ports/message-bus.port';
import type { MessageSerde } from '../ports/message-serde.port';

/** One event for `publishMany`: the topic decides the key and value types. */
export type OutgoingEvent = {
  [T in TopicName]: { topic: T; key: KeyOf<T>; value: ValueOf<T>; headers: PublishHeaders };
}[TopicName];

/**
 * An event for a topic outside @closeout/contracts (defined on the SchemaCatalog). Key and value are
 * checked against that topic's Avro schemas at run time, as typed events are.
 */
export interface UntypedOutgoingEvent {
  topic: string;
  key: unknown;
  value: unknown;
  headers: PublishHeaders;
}

/**
 * The largest encoded message (key, value and headers) the publisher sends. Brokers refuse a record batch over
 * message.max.bytes (1 048 588 by default, per topic max.message.bytes) with MESSAGE_TOO_LARGE; staying ~48 KB below
 * it leaves room for the batch and record framing, so a message the publisher accepts alone is accepted by the
 * broker, and one it refuses is refused before anything is sent. Lower it if a topic's max.message.bytes is lower.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;

export interface PublisherLimits {
  maxMessageBytes: number;
}

/**
 * Adds headers computed from a record's encoded bytes just before it is sent (e.g. a signature over topic, key and
 * value), for the topics it covers; returns nothing for a topic it does not sign. The headers count towards the
 * message size limit.
 */
export type RecordSigner = (record: {
  topic: string;
  key: Buffer;
  value: Buffer;
}) => Record<string, string> | undefined;

/**
 * Publishes typed events: validates key and value against the topic's Avro schemas, encodes them in
 * Confluent wire format and sends them through the idempotent, acks=all producer with the
 * correlation, causation, idempotency and trace headers. Nothing is sent unless every message of the
 * call is valid.
 */
@Injectable()
export class EventPublisher {
  constructor(
    private readonly producer: ProducerPort,
    private readonly serde: MessageSerde,
    private readonly metrics: KafkaMetrics,
    private readonly limits: PublisherLimits = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES },
    private readonly signer?: RecordSigner,
  ) {}

  publish<T extends TopicName>(
    topic: T,
    key: KeyOf<T>,
    value: ValueOf<T>,
    headers: PublishHeaders,
  ): Promise<void> {
    return this.send([{ topic, key, value, headers }]);
  }

  /** Several events, possibly on several topics, in one produce round trip; per-topic order is kept. */
  publishMany(events: OutgoingEvent[]): Promise<void> {
    return this.send(events);
  }

  /** The lower-level form of `publish` for topics defined on the SchemaCatalog rather than in the contracts. */
  publishToTopic(topic: string, key: unknown, value: unknown, headers: PublishHeaders): Promise<void> {
    return this.send([{ topic, key, value, headers }]);
  }

  publishManyToTopics(events: UntypedOutgoingEvent[]): Promise<void> {
    return this.send(events);
  }

  private async send(events: UntypedOutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Encode everything first: one invalid message fails the call before anything reaches Kafka.
    const encoded = await Promise.all(events.map((event) => this.encode(event)));
    // Each message under its own `send <topic>` producer span, in the trace the message belongs to (its stored
    // context, else its case's message in the batch being handled, else the active context): the wire carries that
    // span's context, so the consumer continues this message's trace, never a span shared with other cases.
    const spans = events.map((event) => producerSpan(event));
    const records: OutgoingRecord[] = encoded.map(({ record, wireHeaders }, i) => ({
      ...record,
      headers: { ...wireHeaders, ...injectTraceHeaders({}, contextWithSpan(spans[i]!)) },
    }));
    try {
      await this.producer.send(records);
    } catch (error) {
      for (const span of spans) failSpan(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    for (const event of events) this.metrics.published.inc({ topic: event.topic });
  }

  private async encode(
    event: UntypedOutgoingEvent,
  ): Promise<{ record: Omit<OutgoingRecord, 'headers'>; wireHeaders: Record<string, string> }> {
    if (event.key === null || event.key === undefined) throw new MissingKeyError(event.topic);
    if (!event.headers?.correlationId) throw new MissingHeaderError(event.topic, 'correlation-id');
    const [key, value] = await Promise.all([
      this.serde.encode(event.topic, 'key', event.key),
      this.serde.encode(event.topic, 'value', event.value),
    ]);
    const wireHeaders = {
      ...toWireHeaders(event.headers),
      ...this.signer?.({ topic: event.topic, key, value }),
    };
    const bytes =
      key.length +
      value.length +
      Object.entries(wireHeaders).reduce(
        (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
        0,
      );
    if (bytes > this.limits.maxMessageBytes)
      throw new MessageTooLargeError(event.topic, bytes, this.limits.maxMessageBytes);
    return { record: { topic: event.topic, key, value }, wireHeaders };
  }
}

/** The producer span of one message (OTel messaging conventions: `send <destination>`, kind PRODUCER). */
function producerSpan(event: UntypedOutgoingEvent): Span {
  const { traceparent, tracestate, correlationId } = event.headers;
  const parent = traceparent
    ? extractTraceContext({ traceparent, ...(tracestate ? { tracestate } : {}) })
    : messageTraceContext(correlationId);
  return startSpan(`send ${event.topic}`, 'producer', parent, {
    attributes: {
      'messaging.system': 'kafka',
      'messaging.destination.name': event.topic,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      ...closeoutSpanAttributes(event.key, event.value, event.headers),
    },
  });
}
