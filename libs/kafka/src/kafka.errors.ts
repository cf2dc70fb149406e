import { DomainError } from '@closeout/errors';

/** Every error this lib throws carries one of these codes, so callers decide by code, never by message. */
export type KafkaErrorCode =
  | 'KAFKA_MISSING_KEY'
  | 'KAFKA_MISSING_HEADER'
  | 'KAFKA_INVALID_MESSAGE'
  | 'KAFKA_UNKNOWN_TOPIC'
  | 'KAFKA_SCHEMA_REGISTRATION'
  | 'KAFKA_DECODE'
  | 'KAFKA_POISON_MESSAGE'
  | 'KAFKA_CLOSED'
  | 'KAFKA_TOPIC_PROVISIONING'
  | 'KAFKA_NOT_AVRO'
  | 'KAFKA_MESSAGE_TOO_LARGE'
  | 'KAFKA_BROKER_REJECTED';

/**
 * The base of every error this lib throws: a `DomainError` whose code is one of `KafkaErrorCode` (the message is its
 * rule; there is no request field). The HTTP layer answers one only when a service registers its code; none does
 * today, so a Kafka error escaping a route is still a 500.
 */
export abstract class KafkaError<Code extends KafkaErrorCode = KafkaErrorCode> extends DomainError<Code> {
  protected constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A producer tried to send a message without a key: that would lose the case's partition and ordering. */
export class MissingKeyError extends KafkaError<'KAFKA_MISSING_KEY'> {
  constructor(readonly topic: string) {
    super(
      'KAFKA_MISSING_KEY',
      `refusing to publish to ${topic} without a key: every message is keyed (case id or correlation id) to keep per-case order`,
    );
  }
}

export class MissingHeaderError extends KafkaError<'KAFKA_MISSING_HEADER'> {
  constructor(
    readonly topic: string,
    readonly header: string,
  ) {
    super('KAFKA_MISSING_HEADER', `refusing to publish to ${topic} without the ${header} header`);
  }
}

/** One thing wrong with a message: where (dotted field path) and which schema rule it broke. */
export interface ValidationProblem {
  /** e.g. `source.eventId`, `requiredWritebacks[1]`; empty for the record itself. */
  path: string;
  /** e.g. `required`, `type:string`, `enum`, `undeclared-field`. */
  rule: string;
  message: string;
}

/** The key or value does not conform to the topic's Avro schema; nothing was sent. */
export class InvalidMessageError extends KafkaError<'KAFKA_INVALID_MESSAGE'> {
  constructor(
    readonly topic: string,
    readonly part: 'key' | 'value',
    readonly problems: ValidationProblem[],
  ) {
    super(
      'KAFKA_INVALID_MESSAGE',
      `invalid ${part} for ${topic}: ${problems.map((p) => p.message).join('; ')}`,
    );
  }
}

/** No key/value schema is known for this topic, so it can be neither encoded nor validated. */
export class UnknownTopicError extends KafkaError<'KAFKA_UNKNOWN_TOPIC'> {
  constructor(readonly topic: string) {
    super(
      'KAFKA_UNKNOWN_TOPIC',
      `no Avro schemas are defined for topic ${topic}: add it to @closeout/contracts or define it on the SchemaCatalog`,
    );
  }
}

/** The catalog declares this part of the topic plain (UTF-8 text or JSON), so it has no Avro schema or subject. */
export class NotAvroError extends KafkaError<'KAFKA_NOT_AVRO'> {
  constructor(
    readonly topic: string,
    readonly part: 'key' | 'value',
  ) {
    super(
      'KAFKA_NOT_AVRO',
      `the ${part} of topic ${topic} is declared plain on the SchemaCatalog, not Avro: it has no schema`,
    );
  }
}

/**
 * The encoded message is larger than the producer's limit (maxMessageBytes, set below the brokers' message.max.bytes),
 * so no broker would accept it; nothing was sent. Decided here, before the produce request, so the same message is
 * refused the same way every time.
 */
export class MessageTooLargeError extends KafkaError<'KAFKA_MESSAGE_TOO_LARGE'> {
  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      'KAFKA_MESSAGE_TOO_LARGE',
      `a message for ${topic} is ${bytes} bytes encoded, over the ${limit}-byte limit`,
    );
  }
}

/**
 * The broker refused the records of a produce request for good (kafkajs marks the error non-retriable): too large for
 * the topic's max.message.bytes, or failing the broker's record validation. Sending them again fails the same way.
 */
export class BrokerRejectedError extends KafkaError<'KAFKA_BROKER_REJECTED'> {
  constructor(
    /** The broker's error name, e.g. MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD. */
    readonly brokerError: string,
    readonly topics: string[],
    options?: { cause?: unknown },
  ) {
    super(
      'KAFKA_BROKER_REJECTED',
      `the broker refused records for ${topics.join(', ')}: ${brokerError}`,
      options,
    );
  }
}

/** The registry refused a schema (most often: it breaks the subject's compatibility rule). */
export class SchemaRegistrationError extends KafkaError<'KAFKA_SCHEMA_REGISTRATION'> {
  constructor(
    readonly subject: string,
    readonly registryMessage: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'KAFKA_SCHEMA_REGISTRATION',
      `schema registry rejected subject ${subject}${status ? ` (HTTP ${status})` : ''}: ${registryMessage}`,
      options,
    );
  }
}

/** Why a received message could not be turned into a typed event; each is a DLQ reason class. */
export type DecodeFailure =
  | 'null-key'
  | 'null-value'
  | 'bad-magic-byte'
  | 'unknown-schema-id'
  | 'bad-avro'
  | 'schema-mismatch'
  | 'bad-utf8'
  | 'bad-json';

export class DecodeError extends KafkaError<'KAFKA_DECODE'> {
  constructor(
    readonly failure: DecodeFailure,
    readonly part: 'key' | 'value',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('KAFKA_DECODE', `cannot decode ${part}: ${failure}: ${detail}`, options);
  }
}

/**
 * Thrown by a handler for a message that will never succeed however often it is retried (it contradicts
 * the business rules, refers to something that cannot exist). The message goes to the DLQ at once and the
 * consumer moves on; other errors are retried in place (see TransientError for which ones without limit).
 */
export class PoisonMessageError extends KafkaError<'KAFKA_POISON_MESSAGE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KAFKA_POISON_MESSAGE', message, options);
  }
}

/** The client was closed (service shutting down); a late publish fails instead of reconnecting. */
export class KafkaClosedError extends KafkaError<'KAFKA_CLOSED'> {
  constructor(what: string) {
    super('KAFKA_CLOSED', `${what} is closed`);
  }
}

export class TopicProvisioningError extends KafkaError<'KAFKA_TOPIC_PROVISIONING'> {
  constructor(topics: string[], options?: { cause?: unknown }) {
    super(
      'KAFKA_TOPIC_PROVISIONING',
      `could not create topics ${topics.join(', ')}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`,
      options,
    );
  }
}

/**
 * Thrown by a handler when a dependency it needs is unavailable for now (a core's 503, a rate limit, an upstream
 * not answering): the message is retried in place without limit and never dead-lettered, however long it takes.
 * Errors the subscriber recognises as transient by themselves (network codes, PostgreSQL connection, resource,
 * lock and serialization states, retriable Kafka errors) need no wrapping; any other error is retried up to the
 * subscription's `maxAttempts` and then dead-lettered as `exhausted`. Not a KafkaError: the lib never throws it.
 *
 * A plain marker rather than a DomainError on purpose: it wraps the dependency's own failure, and a `code` of its
 * own would be the first code in the error's cause chain, hiding the cause's (`ECONNREFUSED`, `57P01`) from the
 * stuck-partition report, readiness and DLQ reasons (`describeHandlerError` names the first code found). It is
 * never answered to a caller either: it only tells the subscriber how to retry.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
