import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { CaseKey, WritebackRequested } from '@closeout/contracts';
import type { KafkaClient } from '@closeout/kafka';
import { eventually, startTestClient, testTopic, unique, writebackRequested } from '@closeout/kafka/testing';
import {
  contextWithSpan,
  flushTelemetry,
  initTelemetry,
  shutdownTelemetry,
  startSpan,
  withTraceContext,
} from '@closeout/telemetry';
import { freshOutboxSchema, type FreshOutboxSchema } from '../test-support/fresh-outbox-schema';
import { outboxRowOf, type OutboxMessage } from './outbox-message';
import { OutboxRelay, type RelayLogger } from './outbox-relay';

/**
 * Two cases decided apart, written to one outbox, relayed in one batch, consumed in one batch: each keeps its own
 * trace, exported to the devstack's Zipkin and read back from its API — decision → `send` (producer, one per message)
 * → `process` (consumer, one per message) → what the batch handler writes next for the case.
 */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

const quiet: RelayLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const zipkinUrl = (): string => {
  const url = process.env['ZIPKIN_URL'];
  if (!url)
    throw new Error('ZIPKIN_URL is not set: run tools/devstack/devstack up (the devstack runs Zipkin)');
  return url;
};

async function zipkin<T>(path: string): Promise<T> {
  const res = await fetch(`${zipkinUrl()}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The trace, once Zipkin holds at least `spans` spans of it (intake is asynchronous). */
async function traceOf(traceId: string, spans: number): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${zipkinUrl()}/api/v2/trace/${traceId}`);
    const found = res.ok ? ((await res.json()) as ZipkinSpan[]) : [];
    if (found.length >= spans || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('one trace per case across the outbox and a Kafka batch (Zipkin)', () => {
  const service = `trace-it-${randomUUID().slice(0, 8)}`;
  const topic = testTopic();
  let db: FreshOutboxSchema;
  let kafka: KafkaClient;
  let relay: OutboxRelay;

  beforeAll(async () => {
    const zipkinEndpoint = process.env['ZIPKIN_ENDPOINT'];
    if (!zipkinEndpoint) throw new Error('ZIPKIN_ENDPOINT is not set: run tools/devstack/devstack up');
    initTelemetry({ serviceName: service, exporter: 'zipkin', zipkinEndpoint });
    db = await freshOutboxSchema();
    kafka = await startTestClient([{ topic, partitions: 1 }]);
  });

  afterAll(async () => {
    await relay?.stop();
    await kafka?.close();
    await db?.drop();
    await shutdownTelemetry();
  });

  it('keeps two cases handled in one batch in two traces, each parented hop by hop', async () => {
    const cases = ['A', 'B'].map((c) => `case-${c}-${randomUUID().slice(0, 6)}`);
    // Each case's decision is its own root span, and writes its message to the outbox in its own transaction.
    const decisions = [];
    for (const [i, caseId] of cases.entries()) {
      const span = startSpan(`decide ${caseId}`, 'internal', undefined, {
        attributes: { 'closeout.case_id': caseId },
      });
      const message = {
        topic,
        key: { caseId },
        value: writebackRequested(i + 1, { caseId, correlationId: `corr-${caseId}` }),
        headers: { correlationId: `corr-${caseId}`, idempotencyKey: `idem-${caseId}` },
      } as unknown as OutboxMessage;
      await withTraceContext(contextWithSpan(span), () => db.enqueue([message]));
      span.end();
      decisions.push(span.spanContext());
    }
    const stored: Array<{ traceparent: string | null }> = await db.dataSource.query(
      `SELECT traceparent FROM "${db.schema}".outbox ORDER BY id`,
    );
    expect(stored.map((r) => r.traceparent?.split('-')[1])).toEqual(decisions.map((d) => d.traceId));

    // Consumed as one batch; what the handler writes next for each case continues that case's message.
    const batches: string[][] = [];
    const next = new Map<string, string | undefined>();
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId: unique('trace'),
      topic,
      fromBeginning: true,
      maxBatchSize: 16,
      batchHandler: async (messages) => {
        batches.push(messages.map((m) => m.key.caseId));
        for (const m of messages) {
          const row = outboxRowOf({
            topic,
            key: m.key,
            value: m.value,
            headers: { correlationId: m.headers.correlationId },
          } as unknown as OutboxMessage);
          next.set(m.key.caseId, row.traceparent);
        }
      },
    });
    await subscription.whenPositioned();
    // Relayed in one batch: one publish call carrying both messages.
    const relayed: number[] = [];
    relay = new OutboxRelay({
      dataSource: db.dataSource,
      registry: new Registry(),
      logger: quiet,
      publish: async (messages) => {
        relayed.push(messages.length);
        await kafka.publisher.publishManyToTopics(messages);
      },
    });
    expect(await relay.publishBatch()).toBe(2);
    expect(relayed).toEqual([2]);
    expect(await eventually(() => next.size === 2, 20_000)).toBe(true);
    await subscription.stop();
    expect(batches).toEqual([cases]);
    await flushTelemetry();

    for (const [i, caseId] of cases.entries()) {
      const decision = decisions[i]!;
      const spans = await traceOf(decision.traceId, 3);
      const byName = (name: string) => spans.filter((s) => s.name === name);
      // Zipkin lower-cases span names.
      const [decide] = byName(`decide ${caseId}`.toLowerCase());
      const sends = byName(`send ${topic}`);
      const processes = byName(`process ${topic}`);
      expect(decide?.id).toBe(decision.spanId);
      expect(sends).toHaveLength(1);
      expect(processes).toHaveLength(1);
      expect(sends[0]).toMatchObject({
        parentId: decision.spanId,
        kind: 'PRODUCER',
        localEndpoint: { serviceName: service },
      });
      expect(sends[0]!.tags).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'closeout.case_id': caseId,
        'closeout.idempotency_key': `idem-${caseId}`,
        'closeout.destination': 'core-banking',
        'closeout.workflow_id': 'failed-payment-recovery',
      });
      expect(processes[0]).toMatchObject({ parentId: sends[0]!.id, kind: 'CONSUMER' });
      expect(processes[0]!.tags).toMatchObject({
        'messaging.operation.type': 'process',
        'closeout.case_id': caseId,
        'closeout.correlation_id': `corr-${caseId}`,
      });
      // Nothing of the other case in this trace.
      expect(
        spans.filter((s) => s.tags?.['closeout.case_id'] && s.tags['closeout.case_id'] !== caseId),
      ).toEqual([]);
      // The next hop continues this case's process span.
      const [, traceId, parentSpanId] = next.get(caseId)!.split('-');
      expect(traceId).toBe(decision.traceId);
      expect(parentSpanId).toBe(processes[0]!.id);
    }

    // The case's trace is found by its id, as an SRE would look it up.
    const found = await zipkin<ZipkinSpan[][]>(
      `/api/v2/traces?serviceName=${service}&annotationQuery=${encodeURIComponent(`closeout.case_id=${cases[0]}`)}&limit=10`,
    );
    expect(found.map((t) => t[0]!.traceId)).toEqual([decisions[0]!.traceId]);
  });
});
