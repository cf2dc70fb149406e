import { context } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Topics, type CaseKey, type WritebackRequested } from '@closeout/contracts';
import { outboxRowOf, type OutboxMessage } from '@closeout/outbox';
import { startSpan, traceContextOf, withTraceContext, contextWithSpan } from '@closeout/telemetry';
import { kafkaMetrics } from '../metrics/kafka.metrics';
import { EventPublisher } from '../producer/event-publisher';
import { JsonBodySerde, RecordingProducer } from '../testing/in-memory-ports';
import { incomingRecord, jsonWire, scriptedSubscriber } from '../testing/scripted-subscriber';
import type { ConsumedMessage } from './event-subscriber';
import { installTestTracing, uninstallTestTracing } from '@closeout/telemetry/testing';

/**
 * How trace context travels with each message: outbox row → producer span → wire headers → consumer span → what the
 * handler writes next. Spans are recorded in memory.
 */
const exporter = new InMemorySpanExporter();

beforeAll(() => {
  installTestTracing(exporter);
});
afterAll(() => {
  uninstallTestTracing();
});
beforeEach(() => exporter.reset());

const traceIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split('-')[1];
const spanIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split('-')[2];
const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

/** A traceparent of a fresh root span, as a decision in some service would have. */
function decision(): string {
  const span = startSpan('decide', 'internal', context.active());
  span.end();
  return traceContextOf(contextWithSpan(span)).traceparent!;
}

const request = (caseId: string): WritebackRequested => ({
  eventId: `evt-${caseId}`,
  occurredAt: 1_735_689_600_000,
  correlationId: `corr-${caseId}`,
  causationId: null,
  idempotencyKey: `idem-${caseId}`,
  destination: 'core-banking',
  protocol: 'REST',
  operation: 'payment.post',
  caseId,
  workflowId: 'wf-1',
  contractVersion: '1',
  mappingVersion: '3',
  payloadJson: '{}',
  consentRef: null,
  requestedAt: 1_735_689_600_000,
});

describe('trace propagation per message', () => {
  it('an outbox row keeps the trace context it was written in, and a stored one as it is', () => {
    const span = startSpan('decide', 'internal');
    const row = withTraceContext(contextWithSpan(span), () =>
      outboxRowOf({
        topic: Topics.writebackRequested,
        key: { caseId: 'c1' },
        value: request('c1'),
        headers: { correlationId: 'corr-1' },
      } as OutboxMessage),
    );
    span.end();
    expect(traceIdOf(row.traceparent)).toBe(span.spanContext().traceId);
    expect(spanIdOf(row.traceparent)).toBe(span.spanContext().spanId);
    expect(row.headers).toEqual({ correlationId: 'corr-1' });

    const stored = decision();
    const kept = outboxRowOf({
      topic: Topics.writebackRequested,
      key: { caseId: 'c1' },
      value: request('c1'),
      headers: { correlationId: 'corr-1', traceparent: stored },
    } as OutboxMessage);
    expect(kept.traceparent).toBe(stored);
    expect(kept.headers).toEqual({ correlationId: 'corr-1' });
  });

  it('publishes each message of one call under its own producer span, in the trace stored with it', async () => {
    const producer = new RecordingProducer();
    const publisher = new EventPublisher(producer, new JsonBodySerde(), kafkaMetrics());
    const [a, b] = [decision(), decision()];
    await publisher.publishMany([
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'A' },
        value: request('A'),
        headers: { correlationId: 'corr-A', traceparent: a },
      },
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'B' },
        value: request('B'),
        headers: { correlationId: 'corr-B', traceparent: b },
      },
    ]);
    const sends = spans('send writeback.requested.v1');
    expect(sends).toHaveLength(2);
    const [wireA, wireB] = producer.records.map((r) => String(r.headers?.['traceparent']));
    // Each message's wire context is its own producer span, child of its own decision.
    for (const [wire, stored, caseId] of [
      [wireA, a, 'A'],
      [wireB, b, 'B'],
    ] as const) {
      const send = sends.find((s) => s.spanContext().spanId === spanIdOf(wire))!;
      expect(send.spanContext().traceId).toBe(traceIdOf(stored));
      expect(parentOf(send)).toBe(spanIdOf(stored));
      expect(send.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': 'writeback.requested.v1',
        'messaging.operation.type': 'send',
        'closeout.case_id': caseId,
        'closeout.workflow_id': 'wf-1',
        'closeout.destination': 'core-banking',
      });
    }
    expect(traceIdOf(wireA)).not.toBe(traceIdOf(wireB));
  });

  it('a batch handler gets one process span per message, and what it writes per case continues that case', async () => {
    const { bus, subscriber } = scriptedSubscriber();
    const written: Array<{ caseId: string; traceparent?: string }> = [];
    await subscriber.subscribe({
      groupId: 'g-trace',
      topic: Topics.writebackRequested,
      batchHandler: async (messages: ConsumedMessage<CaseKey, WritebackRequested>[]) => {
        // One multi-row write for the whole batch, as the services' batch handlers do.
        for (const m of messages)
          written.push({
            caseId: m.key.caseId,
            traceparent: outboxRowOf({
              topic: Topics.writebackResult,
              key: { caseId: m.key.caseId },
              value: {},
              headers: { correlationId: m.headers.correlationId },
            } as unknown as OutboxMessage).traceparent,
          });
      },
    });
    const [a, b] = [decision(), decision()];
    const record = (offset: number, caseId: string, traceparent: string) =>
      incomingRecord(offset, {
        key: jsonWire({ caseId }),
        value: jsonWire(request(caseId)),
        headers: { 'correlation-id': Buffer.from(`corr-${caseId}`), traceparent: Buffer.from(traceparent) },
      });
    await bus.consumers[0]!.deliver([record(1, 'A', a), record(2, 'B', b)]);
    await subscriber.stopAll();

    const processes = spans('process writeback.requested.v1');
    expect(processes).toHaveLength(2);
    for (const [stored, caseId] of [
      [a, 'A'],
      [b, 'B'],
    ] as const) {
      const span = processes.find((s) => s.attributes['closeout.case_id'] === caseId)!;
      expect(span.spanContext().traceId).toBe(traceIdOf(stored));
      expect(parentOf(span)).toBe(spanIdOf(stored));
      expect(span.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': 'g-trace',
        'closeout.correlation_id': `corr-${caseId}`,
      });
      const row = written.find((w) => w.caseId === caseId)!;
      expect(traceIdOf(row.traceparent)).toBe(traceIdOf(stored));
      expect(spanIdOf(row.traceparent)).toBe(span.spanContext().spanId);
    }
  });
});
