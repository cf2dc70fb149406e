import { DomainError } from '@closeout/errors';
import { describeHandlerError } from './consumer/handler-failure';
import { DecodeError, KafkaError, MissingKeyError, PoisonMessageError, TransientError } from './kafka.errors';

describe('Kafka errors', () => {
  it('are DomainErrors with their Kafka code, class name and message, and keep their cause', () => {
    const cause = new Error('unexpected end of input');
    const error = new DecodeError('bad-avro', 'value', 'truncated record', { cause });
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(KafkaError);
    expect(error).toMatchObject({
      code: 'KAFKA_DECODE',
      name: 'DecodeError',
      message: 'cannot decode value: bad-avro: truncated record',
      field: undefined,
      cause,
    });
    expect(new MissingKeyError('case.opened.v1')).toMatchObject({
      code: 'KAFKA_MISSING_KEY',
      name: 'MissingKeyError',
    });
  });

  it('tell a handler refusing a message from any other error by class, subclasses included', () => {
    class CaseNotFound extends PoisonMessageError {}
    const poison = new CaseNotFound('case does not exist');
    expect(poison).toBeInstanceOf(PoisonMessageError);
    expect(poison).toMatchObject({ code: 'KAFKA_POISON_MESSAGE', name: 'CaseNotFound' });
    expect(new Error('x')).not.toBeInstanceOf(KafkaError);
  });

  it('leave TransientError a plain marker, so a description names the code of the failure it wraps', () => {
    const error = new TransientError('core answered 503', {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' }),
    });
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error.name).toBe('TransientError');
    expect(describeHandlerError(error, false)).toBe('TransientError (code ECONNREFUSED)');
  });
});
