import { Topics, type WritebackRequested } from '@closeout/contracts';
import {
  InvalidMessageError,
  MessageTooLargeError,
  MissingHeaderError,
  MissingKeyError,
} from '../kafka.errors';
import { kafkaMetrics } from '../metrics/kafka.metrics';
import { JsonBodySerde, RecordingProducer } from '../testing/in-memory-ports';
import { EventPublisher } from './event-publisher';

const request: WritebackRequested = {
  eventId: 'evt-1',
  occurredAt: 1_735_689_600_000,
  correlationId: 'corr-1',
  causationId: 'evt-0',
  idempotencyKey: 'idem-1',
  destination: 'core-banking',
  protocol: 'REST',
  operation: 'payment.post',
  caseId: 'case-1',
  workflowId: 'failed-payment-recovery',
  contractVersion: '1',
  mappingVersion: '3',
  payloadJson: '{}',
  consentRef: null,
  requestedAt: 1_735_689_600_000,
};

describe('EventPublisher', () => {
  let producer: RecordingProducer;
  let publisher: EventPublisher;

  beforeEach(() => {
    producer = new RecordingProducer();
    publisher = new EventPublisher(producer, new JsonBodySerde(), kafkaMetrics());
  });

  it('sends the encoded key and value with correlation, causation and idempotency headers', async () => {
    await publisher.publish(Topics.writebackRequested, { caseId: 'case-1' }, request, {
      correlationId: 'corr-1',
      causationId: 'evt-0',
      idempotencyKey: 'idem-1',
    });
    expect(producer.sends).toHaveLength(1);
    const [record] = producer.records;
    expect(record?.topic).toBe('writeback.requested.v1');
    expect(record?.key?.subarray(5).toString()).toBe('{"caseId":"case-1"}');
    expect(record?.headers).toMatchObject({
      'correlation-id': 'corr-1',
      'causation-id': 'evt-0',
      'idempotency-key': 'idem-1',
    });
  });

  it('refuses a message without a key and sends nothing', async () => {
    // The types forbid it; the check is for callers that got the key from untyped data.
    const noKey = null as unknown as { caseId: string };
    await expect(
      publisher.publish(Topics.writebackRequested, noKey, request, { correlationId: 'c' }),
    ).rejects.toBeInstanceOf(MissingKeyError);
    expect(producer.sends).toHaveLength(0);
  });

  it('refuses a message without a correlation id', async () => {
    await expect(
      publisher.publish(Topics.writebackRequested, { caseId: 'case-1' }, request, { correlationId: '' }),
    ).rejects.toBeInstanceOf(MissingHeaderError);
  });

  it('names the field and the rule of an invalid value, and sends none of the batch', async () => {
    const bad = { ...request, protocol: 'FTP' } as unknown as WritebackRequested;
    const attempt = publisher.publishMany([
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'case-1' },
        value: request,
        headers: { correlationId: 'corr-1' },
      },
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'case-2' },
        value: bad,
        headers: { correlationId: 'corr-2' },
      },
    ]);
    await expect(attempt).rejects.toThrow(
      new InvalidMessageError('writeback.requested.v1', 'value', [
        {
          path: 'protocol',
          rule: 'enum',
          message: 'field "protocol" must be one of REST, SOAP, SFTP, got "FTP"',
        },
      ]),
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'KAFKA_INVALID_MESSAGE',
      problems: [{ path: 'protocol', rule: 'enum' }],
    });
    expect(producer.sends).toHaveLength(0);
  });

  it('sends several topics in one round trip, in the order given', async () => {
    await publisher.publishMany([
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'case-1' },
        value: request,
        headers: { correlationId: 'corr-1' },
      },
      {
        topic: Topics.auditEvent,
        key: { correlationId: 'corr-1' },
        value: {
          eventId: 'a-1',
          occurredAt: 1,
          correlationId: 'corr-1',
          causationId: null,
          actor: { type: 'SERVICE', id: 'orchestrator' },
          action: 'writeback.requested',
          outcome: 'SUCCESS',
          service: 'orchestrator',
          host: 'pod-1',
          reason: 'customer chose a plan',
          caseId: 'case-1',
          versions: {},
          references: {},
        },
        headers: { correlationId: 'corr-1' },
      },
    ]);
    expect(producer.sends).toHaveLength(1);
    expect(producer.records.map((r) => r.topic)).toEqual(['writeback.requested.v1', 'audit.event.v1']);
  });

  it('refuses a message whose encoded key, value and headers exceed the limit, before any request', async () => {
    const limited = new EventPublisher(producer, new JsonBodySerde(), kafkaMetrics(), {
      maxMessageBytes: 2_000,
    });
    const small = { ...request, payloadJson: 'x'.repeat(1_000) };
    await limited.publish(Topics.writebackRequested, { caseId: 'case-1' }, small, {
      correlationId: 'corr-1',
    });

    const big = { ...request, payloadJson: 'x'.repeat(2_000) };
    const attempt = limited.publishMany([
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'case-1' },
        value: small,
        headers: { correlationId: 'c' },
      },
      {
        topic: Topics.writebackRequested,
        key: { caseId: 'case-2' },
        value: big,
        headers: { correlationId: 'c' },
      },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(attempt).rejects.toMatchObject({ topic: 'writeback.requested.v1', limit: 2_000 });
    await expect(attempt).rejects.toHaveProperty('bytes', expect.any(Number));
    // Only the first, lone publish reached the producer: one bad message keeps the whole call from being sent.
    expect(producer.sends).toHaveLength(1);
  });
});
