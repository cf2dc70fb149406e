import { KafkaError, type InvalidMessageError, type KafkaErrorCode } from '../kafka.errors';

/**
 * Why a publish failed, as a class a caller can act on. Every class but `transient` is deterministic for the messages
 * of the call: sending the same bytes again fails the same way, so retrying them can only block what follows.
 */
export type PublishFailureClass =
  | 'too-large'
  | 'invalid-message'
  | 'unknown-topic'
  | 'missing-key'
  | 'missing-header'
  | 'broker-rejected'
  | 'transient';

export interface PublishFailure {
  class: PublishFailureClass;
  /** True when the same messages can never be published as they are. */
  permanent: boolean;
  /** What went wrong, naming topics, field paths, rules and sizes only: never a message's content. */
  reason: string;
}

/**
 * Classifies an error thrown by `EventPublisher` (or its producer). Messages of a call that failed permanently are
 * bad on their own; a transient failure (broker unreachable, no leader, registry down, client closing, anything
 * unknown) says nothing about them and the call should be retried as it was.
 */
export function publishFailureOf(error: unknown): PublishFailure {
  if (!(error instanceof KafkaError)) return transient(error);
  const code: KafkaErrorCode = error.code;
  switch (code) {
    case 'KAFKA_MESSAGE_TOO_LARGE':
      return permanent('too-large', error.message);
    case 'KAFKA_BROKER_REJECTED':
      return permanent('broker-rejected', error.message);
    case 'KAFKA_INVALID_MESSAGE': {
      // The problems' own messages quote the offending values; paths and rules say enough.
      const { topic, part, problems } = error as InvalidMessageError;
      const where = problems.map((p) => `${p.path || '(record)'} (${p.rule})`).join(', ');
      return permanent('invalid-message', `invalid ${part} for ${topic}: ${where}`);
    }
    case 'KAFKA_UNKNOWN_TOPIC':
      return permanent('unknown-topic', error.message);
    case 'KAFKA_MISSING_KEY':
      return permanent('missing-key', error.message);
    case 'KAFKA_MISSING_HEADER':
      return permanent('missing-header', error.message);
    // A registry that refuses a schema, or a part declared plain, is wrong for every message of the topic: blocking
    // and alerting on the lag is safer than setting the whole topic aside.
    case 'KAFKA_SCHEMA_REGISTRATION':
    case 'KAFKA_NOT_AVRO':
    case 'KAFKA_CLOSED':
    case 'KAFKA_TOPIC_PROVISIONING':
    case 'KAFKA_DECODE':
    case 'KAFKA_POISON_MESSAGE':
      return transient(error);
    default:
      return assertUnreachable(code);
  }
}

function permanent(cls: Exclude<PublishFailureClass, 'transient'>, reason: string): PublishFailure {
  return { class: cls, permanent: true, reason };
}

function transient(error: unknown): PublishFailure {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { class: 'transient', permanent: false, reason };
}

function assertUnreachable(value: never): never {
  throw new Error(`unhandled Kafka error code ${String(value)}`);
}
