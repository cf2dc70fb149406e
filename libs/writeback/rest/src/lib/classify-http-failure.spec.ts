import type { WritebackErrorClass } from '@closeout/contracts';
import { decideAfterError, ValidationError, type WritebackError } from '@closeout/writeback-domain';
import {
  classifyHttpAnswer,
  DEFAULT_ERROR_ANSWERS,
  parseRetryAfterMs,
  providerCodeOf,
  type HttpAnswer,
} from './classify-http-failure';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const DEST = 'core-banking-rest';

function answer(status: number, body?: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, statusText: '', headers, body };
}

function classify(a: HttpAnswer): WritebackError {
  const error = classifyHttpAnswer(a, DEST, DEFAULT_ERROR_ANSWERS, NOW);
  if (error === null) throw new Error(`expected ${a.status} to be an error`);
  return error;
}

describe('classifyHttpAnswer', () => {
  it.each([200, 201, 202, 204])('%i is a success, not an error', (status) => {
    expect(
      classifyHttpAnswer(answer(status, { transaction_id: 'pay_1' }), DEST, DEFAULT_ERROR_ANSWERS, NOW),
    ).toBeNull();
  });

  it.each<[string, WritebackErrorClass, boolean, HttpAnswer]>([
    ['429', 'RATE_LIMITED', true, answer(429, { error: 'rate_limited' }, { 'retry-after': '2' })],
    [
      '503 with Retry-After (throttling)',
      'RATE_LIMITED',
      true,
      answer(503, undefined, { 'retry-after': '1' }),
    ],
    ['409 (first request still in progress)', 'AMBIGUOUS', true, answer(409, { error: 'conflict' })],
    ['409 idempotency_key_reused', 'CONFLICT', true, answer(409, { error: 'idempotency_key_reused' })],
    ['422 idempotency_key_reused', 'CONFLICT', true, answer(422, { error: 'idempotency_key_reused' })],
    ['422 validation_failed', 'VALIDATION', true, answer(422, { error: 'validation_failed' })],
    ['400', 'VALIDATION', true, answer(400, { error: 'unsupported_api_version' })],
    ['404', 'VALIDATION', true, answer(404)],
    ['405', 'VALIDATION', true, answer(405)],
    ['413', 'VALIDATION', true, answer(413)],
    ['415', 'VALIDATION', true, answer(415)],
    ['401', 'TRANSIENT', true, answer(401)],
    ['403', 'TRANSIENT', true, answer(403)],
    ['408', 'AMBIGUOUS', true, answer(408)],
    ['504', 'AMBIGUOUS', true, answer(504)],
    ['524 (upstream timeout)', 'AMBIGUOUS', true, answer(524)],
    ['500', 'TRANSIENT', true, answer(500, { error: 'internal_error' })],
    ['502 JSON from the core', 'TRANSIENT', true, answer(502, { error: 'upstream' })],
    ['502 page from a gateway', 'AMBIGUOUS', true, answer(502, undefined)],
    ['503 without Retry-After or body', 'AMBIGUOUS', true, answer(503)],
    ['503 JSON from the core without Retry-After', 'TRANSIENT', true, answer(503, { error: 'unavailable' })],
    ['302 (redirects are not followed)', 'AMBIGUOUS', true, answer(302)],
  ])('%s → %s (sent: %s)', (_, errorClass, sent, a) => {
    const error = classify(a);
    expect(error.errorClass).toBe(errorClass);
    expect(error.sent).toBe(sent);
    expect(error.providerCode).toBe(providerCodeOf(a));
  });

  it('reads 409 and 422 by the destination’s documented semantics', () => {
    const stripeLike = { inProgress: [{ status: 409 }], keyReused: [{ status: 400, error: 'key_reused' }] };
    expect(classifyHttpAnswer(answer(409, {}), DEST, stripeLike, NOW)?.errorClass).toBe('AMBIGUOUS');
    expect(classifyHttpAnswer(answer(400, { error: 'key_reused' }), DEST, stripeLike, NOW)?.errorClass).toBe(
      'CONFLICT',
    );
    // A core documenting 409 as "reused" is read that way, and 422 is then an ordinary validation failure.
    const conflicting = { inProgress: [], keyReused: [{ status: 409 }] };
    expect(classifyHttpAnswer(answer(409, {}), DEST, conflicting, NOW)?.errorClass).toBe('CONFLICT');
    expect(
      classifyHttpAnswer(answer(422, { error: 'idempotency_key_reused' }), DEST, conflicting, NOW)
        ?.errorClass,
    ).toBe('VALIDATION');
  });

  it('keeps whatever a destination says short', () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const error = classify(
      answer(422, {
        error: huge,
        message: huge,
        errors: Array.from({ length: 5000 }, () => ({ field: huge, rule: huge })),
      }),
    );
    expect(error.providerCode!.length).toBeLessThan(200);
    expect(error.message.length).toBeLessThan(20 * 1_000);
    expect(classify(answer(500, { error: huge })).message.length).toBeLessThan(1_000);
  });

  it('names the status and the body error as the provider code', () => {
    expect(classify(answer(429, { error: 'rate_limited' })).providerCode).toBe('429 rate_limited');
    expect(classify(answer(502)).providerCode).toBe('502');
  });

  it('says that refused credentials are a configuration problem, not the payload', () => {
    const error = classify(answer(401, { error: 'unauthorized' }));
    expect(error.message).toMatch(/credentials or permissions were refused/);
    expect(error.message).toContain(DEST);
  });

  describe('Retry-After', () => {
    it.each<[string, string | undefined, number | undefined]>([
      ['delta-seconds', '2', 2_000],
      ['zero seconds', '0', 0],
      ['an HTTP-date 30 s ahead', new Date(NOW + 30_000).toUTCString(), 30_000],
      ['an HTTP-date in the past (never negative)', new Date(NOW - 5_000).toUTCString(), 0],
      ['absent', undefined, undefined],
      ['garbage', 'soon', undefined],
      ['a decimal (not a date)', '1.5', undefined],
    ])('as %s', (_, value, expected) => {
      expect(parseRetryAfterMs(value, NOW)).toBe(expected);
      const headers: Record<string, string> = value === undefined ? {} : { 'retry-after': value };
      expect(classify(answer(429, undefined, headers)).retryAfterMs).toBe(expected);
    });

    it('feeds the retry policy the exact wait', () => {
      const error = classify(answer(429, { error: 'rate_limited' }, { 'retry-after': '2' }));
      expect(decideAfterError(error, 1, NOW)).toMatchObject({ kind: 'retry', delayMs: 2_000 });
    });

    it('turns an unreadable Retry-After on a 503 into an outage, not throttling', () => {
      expect(classify(answer(503, { error: 'unavailable' }, { 'retry-after': 'later' })).errorClass).toBe(
        'TRANSIENT',
      );
    });
  });

  describe('validation issues', () => {
    it("are the body's field errors, under wire.", () => {
      const error = classify(
        answer(422, {
          error: 'validation_failed',
          errors: [
            { field: 'amount.value_minor', rule: 'must be at least 1' },
            { field: 'account_number', rule: 'must be 1–64 characters without whitespace' },
            { nonsense: true },
          ],
        }),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([
        { path: 'wire.amount.value_minor', rule: 'must be at least 1' },
        { path: 'wire.account_number', rule: 'must be 1–64 characters without whitespace' },
      ]);
      expect(error.providerCode).toBe('422 validation_failed');
    });

    it('fall back to the status and error, or the status text', () => {
      expect((classify(answer(400, { error: 'invalid_json' })) as ValidationError).issues).toEqual([
        { path: 'response', rule: '400 invalid_json' },
      ]);
      expect(
        (
          classify({
            status: 405,
            statusText: 'Method Not Allowed',
            headers: {},
            body: undefined,
          }) as ValidationError
        ).issues,
      ).toEqual([{ path: 'response', rule: '405 Method Not Allowed' }]);
      expect((classify(answer(413)) as ValidationError).issues).toEqual([
        { path: 'response', rule: '413 Payload Too Large' },
      ]);
    });
  });
});
