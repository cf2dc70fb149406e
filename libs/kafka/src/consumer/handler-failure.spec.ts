import { KafkaClosedError, MessageTooLargeError, PoisonMessageError, TransientError } from '../kafka.errors';
import { classifyHandlerError, describeHandlerError, isTransientSqlState } from './handler-failure';

/** An error as node-postgres and TypeORM's QueryFailedError carry it: the SQLSTATE on `code`. */
function pgError(code: string, message: string, name = 'QueryFailedError'): Error {
  return Object.assign(new Error(message), { name, code });
}

const systemError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.7:5432`), { code });

describe('classifyHandlerError', () => {
  it.each([
    ['ECONNREFUSED', systemError('ECONNREFUSED')],
    ['ECONNRESET', systemError('ECONNRESET')],
    ['ETIMEDOUT', systemError('ETIMEDOUT')],
    ['EPIPE', systemError('EPIPE')],
    ['EAI_AGAIN', systemError('EAI_AGAIN')],
    ['EHOSTUNREACH', systemError('EHOSTUNREACH')],
    ['pg 08006 connection failure', pgError('08006', 'connection failure')],
    ['pg 53300 too many connections', pgError('53300', 'sorry, too many clients already')],
    ['pg 57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['pg 57P03 cannot connect now', pgError('57P03', 'the database system is starting up')],
    ['pg 40001 serialization failure', pgError('40001', 'could not serialize access')],
    ['pg 40P01 deadlock', pgError('40P01', 'deadlock detected')],
    ['pg 55P03 lock not available', pgError('55P03', 'could not obtain lock on row')],
    ['pg connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'kafkajs retriable',
      Object.assign(new Error('There is no leader for this topic-partition'), { retriable: true }),
    ],
    ['a closed Kafka client', new KafkaClosedError('the producer')],
    ['TransientError from a handler', new TransientError('core banking answered 503')],
    [
      'fetch failed, caused by ECONNREFUSED',
      new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') }),
    ],
    [
      'kafkajs retries exhausted, caused by a retriable error',
      Object.assign(new Error('Connection error'), {
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        cause: Object.assign(new Error('Connection error: connect ECONNREFUSED'), { retriable: true }),
      }),
    ],
    [
      'an AggregateError of refused connections',
      new AggregateError([systemError('ECONNREFUSED')], 'all failed'),
    ],
  ])('%s is transient: retried without limit', (_, error) => {
    expect(classifyHandlerError(error)).toBe('transient');
  });

  it.each([
    [
      'pg 22021 (NUL byte in a text value)',
      pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    ],
    [
      'pg 23505 unique violation',
      pgError('23505', 'duplicate key value violates unique constraint "cases_pkey"'),
    ],
    [
      'pg 23502 not-null violation',
      pgError('23502', 'null value in column "case_id" violates not-null constraint'),
    ],
    [
      'pg 08P01 protocol violation (too many bind parameters)',
      pgError('08P01', 'bind message has 70000 parameter formats'),
    ],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'caseId')")],
    ['a plain Error', new Error('unexpected state')],
    ['a RangeError', new RangeError('Invalid time value')],
    ['a message too large to publish', new MessageTooLargeError('case.state.v1', 2_000_000, 1_000_000)],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('%s is deterministic: retried up to maxAttempts, then dead-lettered', (_, error) => {
    expect(classifyHandlerError(error)).toBe('deterministic');
  });

  it('lets a handler say poison even when the cause was a dependency', () => {
    expect(
      classifyHandlerError(new PoisonMessageError('no such workflow', { cause: systemError('ECONNRESET') })),
    ).toBe('poison');
  });

  it('does not loop on an error that causes itself', () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    error.cause = error;
    expect(classifyHandlerError(error)).toBe('deterministic');
  });
});

describe('isTransientSqlState', () => {
  it('takes whole classes 08 (but 08P01), 53 and 58 and the listed states, and nothing that is not a SQLSTATE', () => {
    expect(['08000', '08003', '53100', '58030', '57014'].map(isTransientSqlState)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['08P01', '22021', '23505', '42P01', '57P04', 'EPIPE!', 'abc'].map(isTransientSqlState)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('describeHandlerError', () => {
  it('names the class and the code, then the message', () => {
    expect(describeHandlerError(pgError('42P01', 'relation "case_record" does not exist'))).toBe(
      'QueryFailedError (code 42P01): relation "case_record" does not exist',
    );
    expect(describeHandlerError(pgError('22021', 'x'), false)).toBe('QueryFailedError (code 22021)');
  });

  it('never quotes the message of a data or integrity error (it quotes the refused value), only where it happened', () => {
    expect(describeHandlerError(pgError('22P02', 'invalid input syntax for type uuid: "Jane Doe, 12 High St"'))).toBe(
      'QueryFailedError (code 22P02)',
    );
    const unique = Object.assign(pgError('23505', 'duplicate key value violates unique constraint "case_pk"'), {
      driverError: { table: 'case_record', constraint: 'case_pk', detail: 'Key (case_id)=(jane) already exists.' },
    });
    expect(describeHandlerError(unique)).toBe('QueryFailedError (code 23505) at table case_record, constraint case_pk');
  });

  it('names a subclass that keeps the name Error by its constructor, and finds a code in the causes', () => {
    class CaseNotFound extends Error {}
    expect(
      describeHandlerError(new CaseNotFound('no case', { cause: systemError('ECONNRESET') }), false),
    ).toBe('CaseNotFound (code ECONNRESET)');
  });

  it('never carries a card number or a contact point, and is bounded', () => {
    const described = describeHandlerError(
      new Error(`card 4111 1111 1111 1111 for jane.doe@example.com, +44 7700 900123 ${'x'.repeat(1000)}`),
    );
    expect(described).not.toMatch(/4111 1111 1111 1111|jane\.doe@example\.com|7700 900123/);
    expect(described).toContain('1111'); // the last four, as masked
    expect(described.length).toBeLessThanOrEqual(350);
  });
});
