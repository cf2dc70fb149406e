import { Writable } from 'node:stream';
import { createLoggerTo } from './logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('log lines carry no card numbers or contact points', () => {
  it('masks the message, interpolation arguments and every field', async () => {
    const { lines, stream } = capture();
    const log = createLoggerTo(stream, 'test');
    log.info(
      { note: 'card 4111 1111 1111 1111', nested: { to: 'jane.doe@example.com' } },
      'got %s',
      '+44 7700 900123',
    );
    log.warn('customer 5500-0000-0000-0004 wrote from jane@example.com');
    await flush();
    const text = lines.join('');
    expect(text).not.toContain('4111 1111 1111 1111');
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('7700 900123');
    expect(text).not.toContain('5500-0000-0000-0004');
    expect(text).not.toContain('jane@example.com');
    expect(text).toContain('**** **** **** 1111');
    expect(JSON.parse(lines[0]!).component).toBe('test');
  });

  it('drops the values a pg error quotes and masks its message', async () => {
    const { lines, stream } = capture();
    const log = createLoggerTo(stream, 'test');
    const err = Object.assign(new Error('duplicate key value (note)=(4111111111111111)'), {
      code: '23505',
      detail: 'Key (email)=(jane@example.com) already exists.',
      parameters: ['4111111111111111', 'jane@example.com'],
      where: 'SQL statement with 378282246310005',
      constraint: 'trigger_pkey',
    });
    log.error({ err }, 'insert failed');
    await flush();
    const line = JSON.parse(lines[0]!);
    expect(line.err.code).toBe('23505');
    expect(line.err.constraint).toBe('trigger_pkey');
    expect(line.err.detail).toBeUndefined();
    expect(line.err.parameters).toBeUndefined();
    expect(line.err.where).toBeUndefined();
    expect(line.err.message).toContain('************1111');
    const text = lines.join('');
    expect(text).not.toContain('4111111111111111');
    expect(text).not.toContain('jane@example.com');
    expect(text).not.toContain('378282246310005');
  });

  it('keeps our own ids (UUIDs, hex keys, ms timestamps) as they are', async () => {
    const { lines, stream } = capture();
    const log = createLoggerTo(stream, 'test');
    const ids = {
      caseId: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      key: 'wb_9f86d081884c7d659a2feaa0c55ad015',
      at: 1_765_000_000_123,
    };
    log.info(ids, 'ok');
    await flush();
    expect(JSON.parse(lines[0]!)).toMatchObject(ids);
  });
});
