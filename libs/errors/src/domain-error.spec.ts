import { DomainError } from './domain-error';

type Code = 'THING_NOT_FOUND' | 'THING_LOCKED';
class ThingError extends DomainError<Code> {
  constructor(code: Code, rule: string, field?: string) {
    super(code, rule, field === undefined ? {} : { field });
  }
}

describe('DomainError', () => {
  it('carries a code, the field at fault and the rule, with no message to parse', () => {
    const error = new ThingError('THING_NOT_FOUND', 'no thing has this id', 'thingId');
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'THING_NOT_FOUND', field: 'thingId', rule: 'no thing has this id' });
    expect(error.name).toBe('ThingError');
    expect(error.message).toBe('thingId: no thing has this id');
  });

  it('may concern no field', () => {
    const error = new ThingError('THING_LOCKED', 'the thing is locked');
    expect(error.field).toBeUndefined();
    expect(error.message).toBe('the thing is locked');
  });
});
