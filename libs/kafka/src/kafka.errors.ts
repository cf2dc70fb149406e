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

export abstract class KafkaError extends Error {
  abstract readonly code: KafkaErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A producer tried to send a message without a key: that would lose the case's partition and ordering. */
export class MissingKeyError extends KafkaError {
  readonly code = 'KAFKA_MISSING_KEY';

  constructor(readonly topic: string) {
    super(
      `refusing to publish to ${topic} without a key: every message is keyed (case id or correlation id) to keep per-case order`,
    );
  }
}

export class MissingHeaderError extends KafkaError {
  readonly code = 'KAFKA_MISSING_HEADER';

  constructor(
    readonly topic: string,
    readonly header: string,
  ) {
    super(`refusing to publish to ${topic} without the ${header} header`);
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
export class InvalidMessageError extends KafkaError {
  readonly code = 'KAFKA_INVALID_MESSAGE';

  constructor(
    readonly topic: string,
    readonly part: 'key' | 'value',
    readonly problems: ValidationProblem[],
  ) {
    super(`invalid ${part} for ${topic}: ${problems.map((p) => p.message).join('; ')}`);
  }
}

/** No key/value schema is known for this topic, so it can be neither encoded nor validated. */
export class UnknownTopicError extends KafkaError {
  readonly code = 'KAFKA_UNKNOWN_TOPIC';

  constructor(readonly topic: string) {
    super(
      `no Avro schemas are defined for topic ${topic}: add it to @closeout/contracts or define it on the SchemaCatalog`,
    );
  }
}

/** The catalog declares this part of the topic plain (UTF-8 text or JSON), so it has no Avro schema or subject. */
export class NotAvroError extends KafkaError {
  readonly code = 'KAFKA_NOT_AVRO';

  constructor(
    readonly topic: string,
    readonly part: 'key' | 'value',
  ) {
    super(`the ${part} of topic ${topic} is declared plain on the SchemaCatalog, not Avro: it has no schema`);
  }
}

/**
 * The encoded message is larger than the producer's limit (maxMessageBytes, set below the brokers' message.max.bytes),
 * so no broker would accept it; nothing was sent. Decided here, before the produce request, so the same message is
 * refused the same way every time.
 */
export class MessageTooLargeError extends KafkaError {
  readonly code = 'KAFKA_MESSAGE_TOO_LARGE';

  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a message for ${topic} is ${bytes} bytes encoded, over the ${limit}-byte limit`);
  }
}

/**
 * The broker refused the records of a produce request for good (kafkajs marks the error non-retriable): too large for
 * the topic's max.message.bytes, or failing the broker's record validation. Sending them again fails the same way.
 */
export class BrokerRejectedError extends KafkaError {
  readonly code = 'KAFKA_BROKER_REJECTED';

  constructor(
    /** The broker's error name, e.g. MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD. */
    readonly brokerError: string,
    readonly topics: string[],
    options?: { cause?: unknown },
  ) {
    super(`the broker refused records for ${topics.join(', ')}: ${brokerError}`, options);
  }
}

/** The registry refused a schema (most often: it breaks the subject's compatibility rule). */
export class SchemaRegistrationError extends KafkaError {
  readonly code = 'KAFKA_SCHEMA_REGISTRATION';

  constructor(
    readonly subject: string,
    readonly registryMessage: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
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

export class DecodeError extends KafkaError {
  readonly code = 'KAFKA_DECODE';

  constructor(
    readonly failure: DecodeFailure,
    readonly part: 'key' | 'value',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode ${part}: ${failure}: ${detail}`, options);
  }
}

/**
 * Thrown by a handler for a message that will never succeed however often it is retried (it contradicts
 * the business rules, refers to something that cannot exist). The message goes to the DLQ at once and the
 * consumer moves on; other errors are retried in place (see TransientError for which ones without limit).
 */
export class PoisonMessageError extends KafkaError {
  readonly code = 'KAFKA_POISON_MESSAGE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The client was closed (service shutting down); a late publish fails instead of reconnecting. */
export class KafkaClosedError extends KafkaError {
  readonly code = 'KAFKA_CLOSED';

  constructor(what: string) {
    super(`${what} is closed`);
  }
}

export class TopicProvisioningError extends KafkaError {
  readonly code = 'KAFKA_TOPIC_PROVISIONING';

  constructor(topics: string[], options?: { cause?: unknown }) {
    super(
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
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
