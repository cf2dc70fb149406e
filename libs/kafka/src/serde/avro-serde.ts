import { Type, type Resolver } from 'avsc';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createLogger } from '@closeout/telemetry';
import {
  DecodeError,
  InvalidMessageError,
  SchemaRegistrationError,
  type ValidationProblem,
} from '../kafka.errors';
import type { MessageSerde } from '../ports/message-serde.port';
import { isPlainPart, subjectFor, type MessagePart, type SchemaCatalog } from './schema-catalog';
import { validateAvro } from './avro-validation';
import { decodePlain, encodePlain, validatePlain } from './plain-codec';
import { readWireHeader } from './wire-format';

export interface AvroSerdeOptions {
  /** Base URL of a Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 for Apicurio. */
  registryUrl: string;
  clientId?: string;
}

const REGISTRY_TIMEOUT_MS = 5000;
const REGISTER_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a registry client error looks like (mappersmith ResponseError from the registry lib). */
interface RegistryHttpError {
  status?: number;
  message?: string;
}

/** The registry lib prefixes messages with its client id ("<clientId> - "); the registry's own words follow. */
function registryMessage(error: unknown, clientId: string): string {
  const message = (error as RegistryHttpError | undefined)?.message ?? String(error);
  return message.startsWith(`${clientId} - `) ? message.slice(clientId.length + 3) : message;
}

/**
 * Avro keys and values in Confluent wire format through a Confluent-compatible schema registry
 * (@kafkajs/confluent-schema-registry). Schemas come from the SchemaCatalog; subjects follow
 * TopicNameStrategy (`<topic>-key`, `<topic>-value`). Decoding resolves the writer schema (by the id in
 * the message) into the schema this service was built with, so an added optional field does not break
 * an older consumer. Parts the catalog declares plain (UTF-8 text, JSON: feeds from outside Closeout) are
 * written and read as such and have no subject.
 */
export class AvroSerde implements MessageSerde {
  private readonly log = createLogger('kafka.avro-serde');
  private readonly registry: SchemaRegistry;
  private readonly clientId: string;
  private readonly registryUrl: string;
  /** Registered schema id per subject: encoding needs it on every message, so it is looked up once. */
  private readonly idBySubject = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number>>();
  /** Our (reader) type per subject, parsed once. */
  private readonly typeBySubject = new Map<string, Type>();
  /** Writer types by schema id: ids are immutable, and a synchronous hit keeps decoding off the registry client's promise chain. */
  private readonly writers = new Map<number, Type>();
  /** Writer-to-reader resolvers per (schema id, subject); `null` means writer and reader are the same. */
  private readonly resolvers = new Map<string, Resolver | null>();

  constructor(
    private readonly catalog: SchemaCatalog,
    options: AvroSerdeOptions,
  ) {
    this.clientId = options.clientId ?? 'closeout-kafka';
    this.registryUrl = options.registryUrl.replace(/\/+$/, '');
    this.registry = new SchemaRegistry({ host: this.registryUrl, clientId: this.clientId });
  }

  async prepareTopics(topics: string[]): Promise<void> {
    await Promise.all(
      topics.flatMap((topic) =>
        (['key', 'value'] as const)
          .filter((part) => !isPlainPart(this.catalog.partSchema(topic, part)))
          .map((part) =>
            this.ensureRegistered(subjectFor(topic, part), this.catalog.schemaText(topic, part)),
          ),
      ),
    );
  }

  /** The schema id a subject's messages are written with, registering the catalog's schema if needed. */
  schemaId(topic: string, part: MessagePart): Promise<number> {
    return this.ensureRegistered(subjectFor(topic, part), this.catalog.schemaText(topic, part));
  }

  /**
   * Registers `schema` under `subject` and returns its id. Registering an identical schema returns the
   * existing id; a schema that breaks the subject's compatibility rule is refused by the registry and
   * surfaces as SchemaRegistrationError naming the subject and the registry's message.
   */
  async register(subject: string, schema: string): Promise<number> {
    try {
      const id = await this.postSchema(subject, schema);
      // Resolve the id back through the registry client: proves the registry serves what it issued and
      // warms the client's cache, so the first encode does not pay for a lookup.
      await this.registry.getSchema(id);
      this.log.debug({ subject, id }, 'schema registered');
      return id;
    } catch (error) {
      if (error instanceof SchemaRegistrationError) throw error;
      const status = (error as RegistryHttpError | undefined)?.status;
      throw new SchemaRegistrationError(subject, registryMessage(error, this.clientId), status, {
        cause: error,
      });
    }
  }

  validate(topic: string, part: MessagePart, value: unknown): ValidationProblem[] {
    const schema = this.catalog.partSchema(topic, part);
    if (isPlainPart(schema)) return validatePlain(schema, value);
    return validateAvro(this.readerType(topic, part), value);
  }

  async encode(topic: string, part: MessagePart, value: unknown): Promise<Buffer> {
    const problems = this.validate(topic, part, value);
    if (problems.length > 0) throw new InvalidMessageError(topic, part, problems);
    const schema = this.catalog.partSchema(topic, part);
    if (isPlainPart(schema)) return encodePlain(schema, value);
    const id = await this.schemaId(topic, part);
    return this.registry.encode(id, value);
  }

  async decode(topic: string, part: MessagePart, bytes: Buffer | null): Promise<unknown> {
    const schema = this.catalog.partSchema(topic, part);
    if (isPlainPart(schema)) return decodePlain(schema, part, bytes);
    if (bytes === null || bytes.length === 0) {
      throw new DecodeError(part === 'key' ? 'null-key' : 'null-value', part, `the ${part} is empty`);
    }
    const header = readWireHeader(bytes);
    if (!header.ok) throw new DecodeError('bad-magic-byte', part, header.reason);

    const writer = this.writers.get(header.schemaId) ?? (await this.writerType(header.schemaId, part));
    const reader = this.readerType(topic, part);
    const resolver = this.resolverFor(header.schemaId, subjectFor(topic, part), writer, reader, part);
    try {
      return resolver ? reader.fromBuffer(header.body, resolver) : reader.fromBuffer(header.body);
    } catch (error) {
      throw new DecodeError('bad-avro', part, `schema id ${header.schemaId}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async ping(timeoutMs: number): Promise<void> {
    const response = await fetch(`${this.registryUrl}/subjects`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/vnd.schemaregistry.v1+json' },
    });
    if (!response.ok) throw new Error(`schema registry answered HTTP ${response.status}`);
  }

  private ensureRegistered(subject: string, schema: string): Promise<number> {
    const known = this.idBySubject.get(subject);
    if (known !== undefined) return Promise.resolve(known);
    let inFlight = this.pending.get(subject);
    if (!inFlight) {
      inFlight = this.register(subject, schema)
        .then((id) => {
          this.idBySubject.set(subject, id);
          return id;
        })
        .finally(() => this.pending.delete(subject));
      this.pending.set(subject, inFlight);
    }
    return inFlight;
  }

  /**
   * POST /subjects/{subject}/versions, the Confluent register call. Not the registry lib's `register()`:
   * that one first reads GET /config/{subject} and refuses when it differs from BACKWARD, and on a new
   * subject writes a per-subject BACKWARD config. Apicurio answers that GET with the artifact's own rule,
   * NONE when only the global rule applies, so the lib refuses every subject registered by anyone else
   * ("Compatibility does not match the configuration (BACKWARD != NONE)"); and pinning a rule per subject
   * would take compatibility out of the registry-wide setting the platform owns.
   */
  private async postSchema(subject: string, schema: string): Promise<number> {
    const url = `${this.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/vnd.schemaregistry.v1+json',
            accept: 'application/vnd.schemaregistry.v1+json',
          },
          body: JSON.stringify({ schema }),
          signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
        });
      } catch (error) {
        if (attempt < REGISTER_ATTEMPTS) {
          await sleep(200 * attempt);
          continue;
        }
        throw error;
      }
      const body = (await response.json().catch(() => ({}))) as {
        id?: number;
        message?: string;
        error_code?: number;
      };
      if (response.ok && typeof body.id === 'number') return body.id;
      if (response.status >= 500 && attempt < REGISTER_ATTEMPTS) {
        await sleep(200 * attempt);
        continue;
      }
      throw new SchemaRegistrationError(
        subject,
        body.message ?? `HTTP ${response.status} without a message`,
        response.status,
      );
    }
  }

  private readerType(topic: string, part: MessagePart): Type {
    const subject = subjectFor(topic, part);
    let type = this.typeBySubject.get(subject);
    if (!type) {
      type = Type.forSchema(JSON.parse(this.catalog.schemaText(topic, part)));
      this.typeBySubject.set(subject, type);
    }
    return type;
  }

  private async writerType(schemaId: number, part: MessagePart): Promise<Type> {
    let schema: unknown;
    try {
      schema = await this.registry.getSchema(schemaId);
    } catch (error) {
      // 404: the id was never issued by this registry, the message cannot be read. Anything else
      // (registry down, timeout) is transient and must not send good messages to the DLQ.
      if ((error as RegistryHttpError | undefined)?.status === 404) {
        throw new DecodeError('unknown-schema-id', part, `schema id ${schemaId} is unknown to the registry`, {
          cause: error,
        });
      }
      throw error;
    }
    if (!(schema instanceof Type)) {
      throw new DecodeError('schema-mismatch', part, `schema id ${schemaId} is not an Avro schema`);
    }
    this.writers.set(schemaId, schema);
    return schema;
  }

  private resolverFor(
    schemaId: number,
    subject: string,
    writer: Type,
    reader: Type,
    part: MessagePart,
  ): Resolver | null {
    const cacheKey = `${schemaId}|${subject}`;
    if (this.resolvers.has(cacheKey)) return this.resolvers.get(cacheKey) ?? null;
    let resolver: Resolver | null;
    try {
      resolver = writer.equals(reader) ? null : reader.createResolver(writer);
    } catch (error) {
      throw new DecodeError(
        'schema-mismatch',
        part,
        `schema id ${schemaId} (${writer.name ?? writer.typeName}) cannot be read as ${subject} (${reader.name ?? reader.typeName}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.resolvers.set(cacheKey, resolver);
    return resolver;
  }
}
