import {
  BrokerRejectedError,
  InvalidMessageError,
  KafkaClosedError,
  MessageTooLargeError,
  MissingKeyError,
  SchemaRegistrationError,
  UnknownTopicError,
} from '../kafka.errors';
import { publishFailureOf } from './publish-failure';

describe('publishFailureOf', () => {
  it('calls a failure of the messages themselves permanent, with a class per cause', () => {
    expect(publishFailureOf(new MessageTooLargeError('audit.event.v1', 5_242_990, 1_000_000))).toEqual({
      class: 'too-large',
      permanent: true,
      reason: 'a message for audit.event.v1 is 5242990 bytes encoded, over the 1000000-byte limit',
    });
    expect(publishFailureOf(new BrokerRejectedError('MESSAGE_TOO_LARGE', ['audit.event.v1']))).toMatchObject({
      class: 'broker-rejected',
      permanent: true,
    });
    expect(publishFailureOf(new UnknownTopicError('nope.v1'))).toMatchObject({
      class: 'unknown-topic',
      permanent: true,
    });
    expect(publishFailureOf(new MissingKeyError('audit.event.v1'))).toMatchObject({
      class: 'missing-key',
      permanent: true,
    });
  });

  it('names the fields and rules of an invalid message but never its values', () => {
    const failure = publishFailureOf(
      new InvalidMessageError('writeback.result.v1', 'value', [
        {
          path: 'error.message',
          rule: 'type:string',
          message: 'field "error.message" must be a string, got {"secret":"4111 1111"}',
        },
        { path: '', rule: 'required', message: 'must be an object' },
      ]),
    );
    expect(failure).toEqual({
      class: 'invalid-message',
      permanent: true,
      reason: 'invalid value for writeback.result.v1: error.message (type:string), (record) (required)',
    });
    expect(failure.reason).not.toContain('4111');
  });

  it('calls everything else transient: the broker, the registry, the client closing, an unknown error', () => {
    const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
      name: 'KafkaJSConnectionError',
    });
    for (const error of [
      connection,
      new SchemaRegistrationError('audit.event.v1-value', 'incompatible', 409),
      new KafkaClosedError('the Kafka producer'),
      'a string',
    ]) {
      expect(publishFailureOf(error)).toMatchObject({ class: 'transient', permanent: false });
    }
  });
});
