import { classifySmtpExchange, replyCodes, type SmtpStage } from './classify-smtp';

const options = { retryAfterMs: 45_000 };

describe('classifySmtpExchange', () => {
  it('accepts a 2xx at the end of the data', () => {
    expect(classifySmtpExchange({ kind: 'accepted' }, options)).toEqual({ kind: 'accepted' });
  });

  it.each<[SmtpStage]>([['envelope'], ['data']])(
    'reads a 4xx to the %s as a temporary rejection with the configured retry delay',
    (stage) => {
      expect(
        classifySmtpExchange(
          { kind: 'failed', stage, responseCode: 451 },
          { ...options, reply: '451 4.3.0 Temporary failure, try again later' },
        ),
      ).toEqual({
        kind: 'rejected',
        permanent: false,
        reason: `SMTP ${stage} refused with 451 4.3.0 (temporary)`,
        retryAfterMs: 45_000,
      });
    },
  );

  it.each<[SmtpStage, number]>([
    ['envelope', 550],
    ['envelope', 553],
    ['data', 552],
    ['data', 554],
  ])('reads a 5xx to the %s (%i) as a permanent rejection', (stage, responseCode) => {
    const outcome = classifySmtpExchange({ kind: 'failed', stage, responseCode }, options);
    expect(outcome).toMatchObject({ kind: 'rejected', permanent: true });
    expect(outcome).not.toHaveProperty('retryAfterMs');
  });

  it('reads a refused session (greeting, STARTTLS, AUTH) as a temporary rejection, even with a 5xx', () => {
    expect(
      classifySmtpExchange({ kind: 'failed', stage: 'session', responseCode: 535 }, options),
    ).toMatchObject({
      kind: 'rejected',
      permanent: false,
      retryAfterMs: 45_000,
    });
  });

  it('reads 530 (authentication required) to the envelope as a temporary rejection: our configuration is at fault', () => {
    expect(
      classifySmtpExchange({ kind: 'failed', stage: 'envelope', responseCode: 530 }, options),
    ).toMatchObject({
      kind: 'rejected',
      permanent: false,
    });
  });

  it.each<[SmtpStage, string]>([
    ['session', 'ESOCKET'],
    ['session', 'ETIMEDOUT'],
    ['envelope', 'ECONNECTION'],
    ['envelope', 'ETIMEDOUT'],
  ])(
    'reads a %s ended by %s without a reply as a temporary rejection: nothing of the message left',
    (stage, code) => {
      expect(classifySmtpExchange({ kind: 'failed', stage, code }, options)).toMatchObject({
        kind: 'rejected',
        permanent: false,
        retryAfterMs: 45_000,
      });
    },
  );

  it.each([['ECONNECTION'], ['ETIMEDOUT'], [undefined]])(
    'reads the data ended by %s without a reply as unknown: the server may have taken it',
    (code) => {
      const outcome = classifySmtpExchange({ kind: 'failed', stage: 'data', code }, options);
      expect(outcome.kind).toBe('unknown');
    },
  );

  it('reads an unexpected non-error reply after the data as unknown, before it as a temporary rejection', () => {
    expect(classifySmtpExchange({ kind: 'failed', stage: 'data', responseCode: 354 }, options).kind).toBe(
      'unknown',
    );
    expect(
      classifySmtpExchange({ kind: 'failed', stage: 'envelope', responseCode: 250 }, options),
    ).toMatchObject({
      kind: 'rejected',
      permanent: false,
    });
  });

  it('never quotes the reply text, which may carry the address', () => {
    const outcome = classifySmtpExchange(
      { kind: 'failed', stage: 'envelope', responseCode: 550 },
      { ...options, reply: '550 5.1.1 <customer@example.com>: Recipient address rejected' },
    );
    expect(JSON.stringify(outcome)).not.toContain('customer@example.com');
    expect(outcome).toMatchObject({ reason: 'SMTP envelope refused with 550 5.1.1' });
  });
});

describe('replyCodes', () => {
  it('keeps the reply code and the enhanced status code only', () => {
    expect(replyCodes('552 5.3.4 Message exceeds fixed maximum message size', 552)).toBe('552 5.3.4');
    expect(replyCodes('421 Service not available', 421)).toBe('421');
    expect(replyCodes(undefined, undefined)).toBeUndefined();
  });
});
