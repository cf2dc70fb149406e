import { fromWireHeaders, headerText, headersAsText, toWireHeaders } from './message-headers';

describe('message headers', () => {
  it('writes correlation, causation and idempotency headers under their wire names', () => {
    expect(
      toWireHeaders({ correlationId: 'corr-1', causationId: 'evt-0', idempotencyKey: 'idem-9' }),
    ).toEqual({
      'correlation-id': 'corr-1',
      'causation-id': 'evt-0',
      'idempotency-key': 'idem-9',
    });
  });

  it('leaves out optional headers that are absent or empty rather than sending them blank', () => {
    expect(toWireHeaders({ correlationId: 'corr-1', causationId: '' })).toEqual({
      'correlation-id': 'corr-1',
    });
  });

  it('reads the headers back from bytes, including the trace context', () => {
    const raw = {
      'correlation-id': Buffer.from('corr-1'),
      'causation-id': Buffer.from('evt-0'),
      traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
      'x-other': Buffer.from('kept for tracing only'),
    };
    expect(fromWireHeaders(raw)).toEqual({
      correlationId: 'corr-1',
      causationId: 'evt-0',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });

  it('reports a missing correlation id as absent, so the consumer can dead-letter the message', () => {
    expect(fromWireHeaders({ 'causation-id': Buffer.from('x') }).correlationId).toBeUndefined();
    expect(fromWireHeaders({ 'correlation-id': Buffer.from('') }).correlationId).toBeUndefined();
  });

  it('takes the last value when a header key repeats', () => {
    expect(headerText([Buffer.from('first'), 'second'])).toBe('second');
    expect(headersAsText({ a: undefined, b: 'x' })).toEqual({ b: 'x' });
  });
});
