import type { ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@closeout/errors';
import { ProblemDetailsFilter } from './configure-http';

type Code = 'EXCEPTION_NOT_FOUND' | 'RESOLUTION_NOT_ALLOWED' | 'UNREGISTERED';
class SampleError extends DomainError<Code> {
  constructor(code: Code, rule: string, field?: string) {
    super(code, rule, field === undefined ? {} : { field });
  }
}

function answer(filter: ProblemDetailsFilter, exception: unknown) {
  const sent: { status?: number; type?: string; body?: unknown } = {};
  const res = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return res;
    },
    type(type: string) {
      sent.type = type;
      return res;
    },
    set() {
      return res;
    },
    send(body: string) {
      sent.body = JSON.parse(body);
      return res;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return sent;
}

describe('ProblemDetailsFilter and DomainError', () => {
  const filter = new ProblemDetailsFilter({
    EXCEPTION_NOT_FOUND: { status: 404, title: 'No such exception' },
    RESOLUTION_NOT_ALLOWED: { status: 409, title: 'The exception cannot be resolved this way' },
  });

  it('answers a registered code with its status, naming the field and the rule', () => {
    expect(
      answer(filter, new SampleError('RESOLUTION_NOT_ALLOWED', 'must be one of close', 'resolution')),
    ).toEqual({
      status: 409,
      type: 'application/problem+json',
      body: {
        type: 'about:blank',
        title: 'The exception cannot be resolved this way',
        status: 409,
        errors: [{ field: 'resolution', rule: 'must be one of close' }],
      },
    });
  });

  it('puts the rule in detail when the error concerns no field', () => {
    expect(answer(filter, new SampleError('EXCEPTION_NOT_FOUND', 'no exception has this id')).body).toEqual({
      type: 'about:blank',
      title: 'No such exception',
      status: 404,
      detail: 'no exception has this id',
    });
  });

  it('answers an unregistered code as any other unexpected error: 500, no detail', () => {
    const sent = answer(filter, new SampleError('UNREGISTERED', 'internal rule', 'x'));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
  });
});
