import type { PendingAck } from '../export.repository';
import { awaitingAck, deliveredPosition, dueForResend, inFlight, nextUnsent } from './ack-book';
import { classifyHecAnswer } from './hec.client';

const CH = '11111111-1111-1111-1111-111111111111';
const OTHER = '22222222-2222-2222-2222-222222222222';
const t0 = 1_000_000;

function p(seqFrom: number, seqTo: number, acked: boolean, over: Partial<PendingAck> = {}): PendingAck {
  return { seqFrom, seqTo, channel: CH, ackId: seqFrom, sentAt: new Date(t0), attempts: 1, acked, ...over };
}

describe('HEC ack bookkeeping', () => {
  it('advances only over acknowledged batches that follow the position without a hole', () => {
    expect(deliveredPosition(0, [p(1, 10, true), p(11, 20, true), p(21, 30, false), p(31, 40, true)])).toBe(
      20,
    );
    expect(deliveredPosition(0, [p(1, 10, false), p(11, 20, true)])).toBe(0);
    expect(deliveredPosition(10, [p(11, 20, true), p(1, 10, true)])).toBe(20);
    // a hole (a range never sent) stops it even when later batches are acked
    expect(deliveredPosition(0, [p(1, 10, true), p(12, 20, true)])).toBe(10);
    expect(deliveredPosition(5, [])).toBe(5);
  });

  it('sends again what stayed unacknowledged past the timeout, and every batch of another channel at once', () => {
    const rows = [
      p(1, 10, false, { sentAt: new Date(t0 - 60_000) }),
      p(11, 20, false, { sentAt: new Date(t0 - 1_000) }),
      p(21, 30, true, { sentAt: new Date(t0 - 90_000) }),
      p(31, 40, false, { channel: OTHER, sentAt: new Date(t0) }),
    ];
    expect(dueForResend(rows, CH, t0, 30_000).map((r) => r.seqFrom)).toEqual([1, 31]);
    expect(awaitingAck(rows, CH).map((r) => r.seqFrom)).toEqual([1, 11]);
    expect(inFlight(rows)).toBe(3);
    expect(nextUnsent(0, rows)).toBe(41);
    expect(nextUnsent(50, rows)).toBe(51);
  });

  it('classifies HEC answers: ackId, acks, busy with Retry-After, bad token, refused request, no ackId', () => {
    expect(classifyHecAnswer(200, { text: 'Success', code: 0, ackId: 3 }, null)).toEqual({
      kind: 'ok',
      ackId: 3,
    });
    expect(classifyHecAnswer(200, { acks: { '3': true } }, null)).toEqual({
      kind: 'acks',
      acks: { '3': true },
    });
    expect(classifyHecAnswer(503, { text: 'Server is busy', code: 9 }, '2')).toMatchObject({
      kind: 'failed',
      reason: 'busy',
      retryAfterMs: 2000,
    });
    expect(classifyHecAnswer(429, undefined, null)).toMatchObject({ reason: 'busy' });
    expect(classifyHecAnswer(403, { text: 'Invalid token', code: 4 }, null)).toMatchObject({
      reason: 'unauthorized',
    });
    expect(classifyHecAnswer(401, { text: 'Token is required', code: 2 }, null)).toMatchObject({
      reason: 'unauthorized',
    });
    expect(classifyHecAnswer(400, { text: 'Data channel is missing', code: 10 }, null)).toMatchObject({
      reason: 'rejected',
    });
    expect(classifyHecAnswer(200, { text: 'Success', code: 0 }, null)).toMatchObject({ reason: 'rejected' });
    expect(classifyHecAnswer(500, {}, null)).toMatchObject({ reason: 'unavailable' });
  });
});
