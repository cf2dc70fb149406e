import { BrokerRejectedError } from '../kafka.errors';
import type { OutgoingRecord } from '../ports/message-bus.port';
import { CoalescingSender } from './coalescing-sender';

const record = (topic: string, n: number, bytes = 10): OutgoingRecord => ({
  topic,
  key: Buffer.from(`k${n}`),
  value: Buffer.alloc(bytes, n),
  headers: {},
});

/** A fake produce call that holds each request until the test releases it, and remembers what each carried. */
function gatedBroker() {
  const requests: OutgoingRecord[][] = [];
  const gates: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const sendBatch = (records: OutgoingRecord[]) =>
    new Promise<void>((resolve, reject) => {
      requests.push(records);
      gates.push({ release: resolve, fail: reject });
    });
  const next = async () => {
    await new Promise((r) => setImmediate(r));
  };
  return { requests, gates, sendBatch, next };
}

const labels = (rs: OutgoingRecord[]) => rs.map((r) => `${r.topic}:${r.key?.toString()}`);

describe('CoalescingSender', () => {
  it('sends the first call at once and the calls made meanwhile together in one request, in call order', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch);
    const first = sender.send([record('a', 1)]);
    const second = sender.send([record('a', 2), record('b', 3)]);
    const third = sender.send([record('a', 4)]);
    await broker.next();
    expect(broker.requests.map(labels)).toEqual([['a:k1']]);

    broker.gates[0]!.release();
    await first;
    await broker.next();
    expect(broker.requests.map(labels)).toEqual([['a:k1'], ['a:k2', 'b:k3', 'a:k4']]);
    broker.gates[1]!.release();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
  });

  it('keeps a request within the record and byte limits and never splits a call by its record count', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch, { maxRecords: 3, maxBytes: 1000 });
    const calls = [
      sender.send([record('a', 0)]),
      sender.send([record('a', 1), record('a', 2)]),
      sender.send([record('a', 3)]),
      sender.send([record('a', 4), record('a', 5), record('a', 6), record('a', 7)]),
      sender.send([record('a', 8, 990)]),
      sender.send([record('a', 9, 20)]),
    ];
    for (let i = 0; i < 5; i++) {
      await broker.next();
      broker.gates[i]?.release();
    }
    await Promise.all(calls);
    expect(broker.requests.map(labels)).toEqual([
      ['a:k0'],
      ['a:k1', 'a:k2', 'a:k3'],
      ['a:k4', 'a:k5', 'a:k6', 'a:k7'],
      ['a:k8'],
      ['a:k9'],
    ]);
  });

  it('fails every call carried by a failed request, and only those', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch);
    const first = sender.send([record('a', 1)]);
    const second = sender.send([record('a', 2)]);
    const third = sender.send([record('a', 3)]);
    await broker.next();
    broker.gates[0]!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await expect(first).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await broker.next();
    const fourth = sender.send([record('a', 4)]);
    broker.gates[1]!.fail(new Error('REQUEST_TIMED_OUT'));
    await expect(Promise.allSettled([second, third])).resolves.toEqual([
      { status: 'rejected', reason: new Error('REQUEST_TIMED_OUT') },
      { status: 'rejected', reason: new Error('REQUEST_TIMED_OUT') },
    ]);
    await broker.next();
    broker.gates[2]!.release();
    await expect(fourth).resolves.toBeUndefined();
    expect(broker.requests.map(labels)).toEqual([['a:k1'], ['a:k2', 'a:k3'], ['a:k4']]);
  });

  it('makes no request for an empty call', async () => {
    const broker = gatedBroker();
    await new CoalescingSender(broker.sendBatch).send([]);
    expect(broker.requests).toHaveLength(0);
  });

  it('sends a call over the byte limit as several requests, in order, and settles it once all went', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch, { maxRecords: 500, maxBytes: 100 });
    let settled = false;
    const call = sender
      .send([record('a', 1, 40), record('a', 2, 40), record('a', 3, 40), record('a', 4, 200)])
      .then(() => (settled = true));
    for (let i = 0; i < 3; i++) {
      await broker.next();
      expect(settled).toBe(false);
      broker.gates[i]!.release();
    }
    await call;
    expect(broker.requests.map(labels)).toEqual([['a:k1', 'a:k2'], ['a:k3'], ['a:k4']]);
  });

  it('does not send the rest of a split call once a part of it failed', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch, { maxRecords: 500, maxBytes: 100 });
    const call = sender.send([record('a', 1, 90), record('a', 2, 90), record('a', 3, 90)]);
    const other = sender.send([record('b', 9)]);
    await broker.next();
    broker.gates[0]!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await expect(call).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await broker.next();
    broker.gates[1]!.release();
    await other;
    expect(broker.requests.map(labels)).toEqual([['a:k1'], ['b:k9']]);
  });

  it('sends each caller of a merged request the broker refused on its own, so only the refused one fails', async () => {
    const broker = gatedBroker();
    const sender = new CoalescingSender(broker.sendBatch);
    const first = sender.send([record('a', 1)]);
    const good = sender.send([record('a', 2)]);
    const refused = sender.send([record('a', 3)]);
    const alsoGood = sender.send([record('a', 4)]);
    const outcomes = Promise.allSettled([good, refused, alsoGood]);
    await broker.next();
    broker.gates[0]!.release();
    await first;
    await broker.next();
    broker.gates[1]!.fail(new BrokerRejectedError('MESSAGE_TOO_LARGE', ['a']));
    await broker.next();
    broker.gates[2]!.release();
    await broker.next();
    broker.gates[3]!.fail(new BrokerRejectedError('MESSAGE_TOO_LARGE', ['a']));
    await broker.next();
    broker.gates[4]!.release();
    await expect(outcomes).resolves.toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: expect.any(BrokerRejectedError) },
      { status: 'fulfilled', value: undefined },
    ]);
    expect(broker.requests.map(labels)).toEqual([
      ['a:k1'],
      ['a:k2', 'a:k3', 'a:k4'],
      ['a:k2'],
      ['a:k3'],
      ['a:k4'],
    ]);
  });
});
