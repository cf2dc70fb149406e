import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Topics } from '@closeout/contracts';
import { createLoggerTo, currentContext } from '@closeout/telemetry';
import { DeadLetterPublisher } from '../dead-letter/dead-letter';
import { incomingRecord, scriptedSubscriber } from '../testing/scripted-subscriber';
import { inMessageContext } from './event-subscriber';
import { installTestTracing, uninstallTestTracing } from '@closeout/telemetry/testing';

/**
 * A batch handler handles many cases in one call: what it logs about one message carries that message's correlation
 * id and trace, not none and not another message's.
 */
const exporter = new InMemorySpanExporter();

beforeAll(() => {
  installTestTracing(exporter);
});
afterAll(() => {
  uninstallTestTracing();
});
beforeEach(() => exporter.reset());

/** The trace id of the `process` span of the message with this correlation id. */
const processTraceOf = (correlationId: string): string | undefined =>
  exporter
    .getFinishedSpans()
    .find((s) => s.name.startsWith('process ') && s.attributes['closeout.correlation_id'] === correlationId)
    ?.spanContext().traceId;

describe('log lines of a batch handler, per message', () => {
  it("a line written while handling message B of a batch carries B's correlation id and trace", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLoggerTo({ write: (line: string) => void lines.push(JSON.parse(line)) }, 'batch');
    const { bus, subscriber } = scriptedSubscriber();
    await subscriber.subscribe({
      groupId: 'g-logs',
      topic: Topics.writebackRequested,
      batchHandler: async (messages) => {
        log.info({ size: messages.length }, 'batch received');
        for (const m of messages) {
          await inMessageContext(m, async () => {
            await new Promise((resolve) => setImmediate(resolve)); // the work's own awaits keep the context
            log.info({ offset: m.offset }, 'case handled');
          });
        }
      },
    });
    await bus.consumers[0]!.deliver([incomingRecord(1), incomingRecord(2), incomingRecord(3)]);
    await subscriber.stopAll();

    const handled = lines.filter((l) => l['msg'] === 'case handled');
    expect(handled.map((l) => [l['offset'], l['correlationId']])).toEqual([
      ['1', 'corr-1'],
      ['2', 'corr-2'],
      ['3', 'corr-3'],
    ]);
    const b = handled[1]!;
    expect(b['traceId']).toBe(processTraceOf('corr-2'));
    expect(b['traceId']).not.toBe(processTraceOf('corr-1'));
    // Outside any one message's work a line carries none.
    expect(lines.find((l) => l['msg'] === 'batch received')).not.toHaveProperty('correlationId');
  });

  it("the dead letter of message B rejected from a batch is logged in B's context and trace", async () => {
    const seen: Array<{ offset: string; correlationId?: string; traceId?: string }> = [];
    const send = jest.spyOn(DeadLetterPublisher.prototype, 'send').mockImplementation(async (record) => {
      seen.push({
        offset: record.offset,
        ...(currentContext() ? { correlationId: currentContext()!.correlationId } : {}),
        ...(trace.getActiveSpan() ? { traceId: trace.getActiveSpan()!.spanContext().traceId } : {}),
      });
    });
    try {
      const { bus, subscriber } = scriptedSubscriber();
      await subscriber.subscribe({
        groupId: 'g-dlq-logs',
        topic: Topics.writebackRequested,
        batchHandler: async (messages) =>
          messages.filter((m) => m.offset === '2').map((message) => ({ message, reason: 'no such case' })),
      });
      await bus.consumers[0]!.deliver([incomingRecord(1), incomingRecord(2), incomingRecord(3)]);
      await subscriber.stopAll();
    } finally {
      send.mockRestore();
    }

    expect(seen).toEqual([{ offset: '2', correlationId: 'corr-2', traceId: processTraceOf('corr-2') }]);
  });
});
