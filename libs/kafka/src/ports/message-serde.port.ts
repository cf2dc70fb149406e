import type { ValidationProblem } from '../kafka.errors';
import type { MessagePart } from '../serde/schema-catalog';

/**
 * Turns typed keys and values into bytes and back, by topic. The Avro + schema-registry implementation
 * is AvroSerde; the port keeps publishers and subscribers independent of the registry client.
 */
export interface MessageSerde {
  /** Registers (or finds) the key and value schemas of these topics and caches their ids. */
  prepareTopics(topics: string[]): Promise<void>;
  /** Problems with `value` against the topic's schema for that part; empty when valid. Pure, no I/O. */
  validate(topic: string, part: MessagePart, value: unknown): ValidationProblem[];
  /** Validates, then encodes. Throws InvalidMessageError (nothing encoded) when invalid. */
  encode(topic: string, part: MessagePart, value: unknown): Promise<Buffer>;
  /** Throws DecodeError when the bytes are not a decodable message for this topic; other errors are transient. */
  decode(topic: string, part: MessagePart, bytes: Buffer | null): Promise<unknown>;
  /** Resolves when the registry answers within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
}
