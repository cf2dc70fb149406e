import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Type } from 'avsc';
import { avroSchemas, Topics, type CaseKey, type WritebackRequested } from '@closeout/contracts';
import { currentContext } from '@closeout/telemetry';
import type { ConsumedMessage } from '../consumer/event-subscriber';
import { SchemaCatalog } from '../serde/schema-catalog';
import { integrationEnv, readRaw, testClient, unique, writebackRequested } from '../testing/integration';
import type { KafkaClient } from '../kafka-client';
import { installTestTracing, uninstallTestTracing } from '@closeout/telemetry/testing';

/** A real tracer so `traceparent` is written and continued, as in a service after initTelemetry. */
const spans = new InMemorySpanExporter();

beforeAll(() => {
  installTestTracing(spans);
});

afterAll(() => {
  uninstallTestTracing();
});

describe('Avro round trip through the schema registry (writeback.requested.v1)', () => {
  let kafka: KafkaClient;

  beforeAll(async () => {
    kafka = testClient(new SchemaCatalog(), [Topics.writebackRequested]);
    await kafka.start();
  });

  afterAll(() => kafka.close());

  it('delivers the same WritebackRequested with its headers, in Confluent wire format, continuing the trace', async () => {
    const correlationId = unique('corr');
    const request = writebackRequested(1, {
      correlationId,
      caseId: unique('case'),
      idempotencyKey: unique('idem'),
    });
    const received: Array<{ message: ConsumedMessage<CaseKey, WritebackRequested>; logContext: unknown }> =
      [];

    const subscription = await kafka.subscriber.subscribe({
      groupId: unique('round-trip'),
      topic: Topics.writebackRequested,
      // A new group reads from the end, so the topic's history (other runs) is not replayed here.
      fromBeginning: false,
      handler: async (message) => {
        if (message.headers.correlationId === correlationId)
          received.push({ message, logContext: currentContext() });
      },
    });
    await subscription.whenPositioned();

    await kafka.publisher.publish(Topics.writebackRequested, { caseId: request.caseId }, request, {
      correlationId,
      causationId: 'evt-0',
      idempotencyKey: request.idempotencyKey,
    });

    const deadline = Date.now() + 15_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await subscription.stop();

    expect(received).toHaveLength(1);
    const [{ message, logContext }] = received as [(typeof received)[number]];
    expect({ ...message.key }).toEqual({ caseId: request.caseId });
    expect({ ...message.value }).toEqual(request);
    expect(message.headers).toEqual({
      correlationId,
      causationId: 'evt-0',
      idempotencyKey: request.idempotencyKey,
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/),
    });
    // Logs written by the handler carry the message's correlation.
    expect(logContext).toEqual({
      correlationId,
      causationId: 'evt-0',
      idempotencyKey: request.idempotencyKey,
    });

    // The consumer span continues the producer span across the hop.
    const publish = spans.getFinishedSpans().find((s) => s.name === 'writeback.requested.v1 publish');
    const processSpan = spans
      .getFinishedSpans()
      .find(
        (s) =>
          s.name === 'writeback.requested.v1 process' &&
          s.attributes['messaging.kafka.message.offset'] === Number(message.offset),
      );
    expect(processSpan?.spanContext().traceId).toBe(publish?.spanContext().traceId);
    expect(processSpan?.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);

    // On the wire: magic byte 0, a 4-byte schema id the registry resolves to our schema, then Avro.
    const [raw] = await readRaw(Topics.writebackRequested, {
      filter: (m) => m.partition === message.partition && m.message.offset === message.offset,
      until: (found) => found.length > 0,
    });
    const value = raw!.message.value!;
    const key = raw!.message.key!;
    expect(value[0]).toBe(0);
    expect(key[0]).toBe(0);
    const schemaId = value.readInt32BE(1);
    const response = await fetch(`${integrationEnv().registryUrl}/schemas/ids/${schemaId}`);
    expect(response.status).toBe(200);
    const registered = Type.forSchema(JSON.parse(((await response.json()) as { schema: string }).schema));
    expect(registered.equals(Type.forSchema(JSON.parse(avroSchemas['writeback.requested.v1-value'])))).toBe(
      true,
    );
    expect(registered.fromBuffer(value.subarray(5))).toEqual(request);
    expect(raw!.message.headers?.['correlation-id']?.toString()).toBe(correlationId);
  });
});
