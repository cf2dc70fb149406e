import type { IncomingRecord } from '../ports/message-bus.port';
import { buildDeadLetterRecord } from './dead-letter';

const record: IncomingRecord = {
  topic: 'writeback.requested.v1',
  partition: 4,
  offset: '1234567890123',
  key: Buffer.from([0, 0, 0, 0, 7, 2, 65]),
  value: Buffer.from([0x7b, 0x7d]),
  headers: {
    'correlation-id': Buffer.from('corr-1'),
    traceparent: Buffer.from('00-abc-def-01'),
    'dlq-reason': Buffer.from('earlier trip'),
  },
  timestamp: 1_700_000_000_000,
};

describe('dead letter record', () => {
  const failedAt = new Date('2025-01-02T03:04:05.678Z');
  const letter = buildDeadLetterRecord({
    record,
    reasonClass: 'bad-magic-byte',
    reason: 'cannot decode value: magic byte is 123',
    groupId: 'writeback-rest',
    failedAt,
  });

  it('goes to <topic>.dlq with the original key and value bytes unchanged', () => {
    expect(letter.topic).toBe('writeback.requested.v1.dlq');
    expect(letter.key?.equals(record.key!)).toBe(true);
    expect(letter.value?.equals(record.value!)).toBe(true);
  });

  it('says where it came from and why, and keeps the original headers', () => {
    expect(letter.headers).toEqual({
      'correlation-id': Buffer.from('corr-1'),
      traceparent: Buffer.from('00-abc-def-01'),
      'dlq-reason': 'cannot decode value: magic byte is 123',
      'dlq-reason-class': 'bad-magic-byte',
      'dlq-original-topic': 'writeback.requested.v1',
      'dlq-original-partition': '4',
      'dlq-original-offset': '1234567890123',
      'dlq-failed-at': '2025-01-02T03:04:05.678Z',
      'dlq-consumer-group': 'writeback-rest',
    });
  });

  it('keeps a null key null instead of inventing one', () => {
    expect(
      buildDeadLetterRecord({
        record: { ...record, key: null },
        reasonClass: 'null-key',
        reason: 'no key',
        groupId: 'g',
        failedAt,
      }).key,
    ).toBeNull();
  });

  it('bounds an enormous reason so the dead letter itself stays producible', () => {
    const long = buildDeadLetterRecord({
      record,
      reasonClass: 'poison',
      reason: 'x'.repeat(10_000),
      groupId: 'g',
      failedAt,
    });
    expect((long.headers['dlq-reason'] as string).length).toBe(2000);
  });
});
