import { ConfigError } from '@closeout/config';
import {
  parseRestDestination,
  parseRestDestinations,
  type RestDestinationConfigInput,
} from './rest-destination.config';

const minimal: RestDestinationConfigInput = {
  name: 'core-banking-rest',
  baseUrl: 'https://core.bank.example',
  auth: { type: 'bearer', token: 's3cr3t-token' },
  apiVersions: ['2024-06-01'],
};

/** The message `parseRestDestinations` throws for one destination patched with `patch`. */
function problemsOf(patch: Record<string, unknown>): string {
  try {
    parseRestDestinations([{ ...minimal, ...patch }]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('REST destination config', () => {
  it('applies the defaults', () => {
    expect(parseRestDestinations([minimal])).toEqual([
      {
        ...minimal,
        timeouts: { connectMs: 2_000, requestMs: 5_000 },
        maxConnections: 32,
        // Nothing assumed in the destination's favour: no de-duplication, lookups that may trail writes.
        honoursIdempotencyKey: false,
        lookupVisibilityMs: 10_000,
        confirmAnswersByLookup: false,
        maxAnswerBytes: 1024 * 1024,
        answers: {
          inProgress: [{ status: 409 }],
          keyReused: [
            { status: 422, error: 'idempotency_key_reused' },
            { status: 409, error: 'idempotency_key_reused' },
          ],
          outcomeField: 'status',
          rejectedOutcomes: ['rejected', 'declined', 'failed', 'refused'],
          rejectionCodeField: 'error',
          rejectionReasonField: 'message',
          referenceField: 'transaction_id',
          keyField: 'idempotency_key',
          echoedFields: ['amount.value_minor', 'amount.currency'],
        },
        lookup: { path: '/api/postings' },
        healthPath: '/health',
      },
    ]);
  });

  it('names the field and rule of a bad answer semantics entry', () => {
    expect(problemsOf({ answers: { inProgress: [{ status: 200 }] } })).toContain(
      'destinations[0].answers.inProgress[0].status: must be an HTTP status from 400 to 599',
    );
    expect(problemsOf({ lookupVisibilityMs: -1 })).toContain(
      'destinations[0].lookupVisibilityMs: must be an integer from 0 to 3600000',
    );
  });

  it('keeps what is given, and defaults the rest of a partial object', () => {
    const [config] = parseRestDestinations([
      {
        ...minimal,
        baseUrl: 'http://127.0.0.1:8091/core',
        auth: { type: 'basic', username: 'closeout', password: 'pw' },
        apiVersions: ['2024-06-01', '2025-01-15'],
        timeouts: { requestMs: 10_000 },
        rateLimit: { requestsPerSecond: 50 },
        maxConnections: 8,
        honoursIdempotencyKey: false,
        lookup: { path: '/reports/postings' },
        healthPath: '/status',
      },
    ]);
    expect(config).toMatchObject({
      timeouts: { connectMs: 2_000, requestMs: 10_000 },
      rateLimit: { requestsPerSecond: 50, burst: 1 },
      maxConnections: 8,
      honoursIdempotencyKey: false,
      lookup: { path: '/reports/postings' },
      healthPath: '/status',
    });
  });

  it.each([
    { type: 'none' },
    { type: 'bearer', token: 't' },
    { type: 'basic', username: 'u', password: 'p' },
    { type: 'header', name: 'X-Api-Key', value: 'k' },
  ])('accepts auth %o', (auth) => {
    expect(parseRestDestination({ ...minimal, auth }).auth).toEqual(auth);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing name', { name: undefined }, 'destinations[0].name: must be a non-empty string'],
    ['an empty name', { name: '' }, 'destinations[0].name: must be a non-empty string'],
    ['an ftp URL', { baseUrl: 'ftp://core.bank.example' }, 'destinations[0].baseUrl: must be an http(s) URL'],
    ['a non-URL', { baseUrl: 'core.bank.example' }, 'destinations[0].baseUrl: must be an http(s) URL'],
    [
      'credentials in the URL',
      { baseUrl: 'https://user:pw@core.bank.example' },
      'destinations[0].baseUrl: must not embed credentials (use auth)',
    ],
    [
      'an unknown auth type',
      { auth: { type: 'oauth' } },
      'destinations[0].auth.type: must be one of none, bearer, basic, header',
    ],
    [
      'an empty bearer token',
      { auth: { type: 'bearer', token: '' } },
      'destinations[0].auth.token: must be a non-empty string',
    ],
    [
      'a basic auth without password',
      { auth: { type: 'basic', username: 'u' } },
      'destinations[0].auth.password: must be a non-empty string',
    ],
    [
      'a token with a line break',
      { auth: { type: 'bearer', token: 'abc\r\nX-Evil: 1' } },
      'destinations[0].auth.token: must be a non-empty string without control characters',
    ],
    [
      'a basic auth user name with a colon',
      { auth: { type: 'basic', username: 'a:b', password: 'p' } },
      'destinations[0].auth.username: must not contain ":"',
    ],
    [
      'a header auth with a bad header name',
      { auth: { type: 'header', name: 'X Api Key', value: 'v' } },
      'destinations[0].auth.name: must be an HTTP header name',
    ],
    [
      'no API versions',
      { apiVersions: [] },
      'destinations[0].apiVersions: must pin at least one API version',
    ],
    [
      'an empty API version',
      { apiVersions: [''] },
      'destinations[0].apiVersions[0]: must be a non-empty string',
    ],
    [
      'a zero connect timeout',
      { timeouts: { connectMs: 0 } },
      'destinations[0].timeouts.connectMs: must be an integer > 0',
    ],
    [
      'a fractional request timeout',
      { timeouts: { requestMs: 2.5 } },
      'destinations[0].timeouts.requestMs: must be an integer > 0',
    ],
    [
      'a negative rate',
      { rateLimit: { requestsPerSecond: -1 } },
      'destinations[0].rateLimit.requestsPerSecond: must be a number > 0 and ≤ 1000',
    ],
    [
      'a rate finer than the limiter can pace',
      { rateLimit: { requestsPerSecond: 5_000 } },
      'destinations[0].rateLimit.requestsPerSecond: must be a number > 0 and ≤ 1000',
    ],
    [
      'a zero burst',
      { rateLimit: { requestsPerSecond: 5, burst: 0 } },
      'destinations[0].rateLimit.burst: must be an integer > 0',
    ],
    ['zero connections', { maxConnections: 0 }, 'destinations[0].maxConnections: must be an integer > 0'],
    [
      'a string where a boolean belongs',
      { honoursIdempotencyKey: 'yes' },
      'destinations[0].honoursIdempotencyKey: must be a boolean',
    ],
    [
      'a relative lookup path',
      { lookup: { path: 'api/postings' } },
      'destinations[0].lookup.path: must be a path starting with /',
    ],
    [
      'a relative health path',
      { healthPath: 'health' },
      'destinations[0].healthPath: must be a path starting with /',
    ],
    ['a misspelt field', { timeout: { requestMs: 1 } }, 'destinations[0]: unknown field(s) "timeout"'],
    [
      'a misspelt nested field',
      { rateLimit: { requestsPerSecond: 5, bursts: 2 } },
      'destinations[0].rateLimit: unknown field(s) "bursts"',
    ],
  ])('refuses %s, naming the field and the rule', (_, patch, problem) => {
    expect(problemsOf(patch)).toContain(problem);
  });

  it('names every failing field at once, and never a secret', () => {
    const message = problemsOf({
      baseUrl: 'nope',
      auth: { type: 'bearer', token: 's3cr3t-token', extra: 'hunter2' },
      maxConnections: -1,
    });
    expect(message).toContain('destinations[0].baseUrl: must be an http(s) URL');
    expect(message).toContain('destinations[0].auth: unknown field(s) "extra"');
    expect(message).toContain('destinations[0].maxConnections: must be an integer > 0');
    expect(message).not.toMatch(/s3cr3t|hunter2/);
  });

  it('refuses two destinations with one name, naming the duplicate', () => {
    expect(() => parseRestDestinations([minimal, { ...minimal, baseUrl: 'https://other.example' }])).toThrow(
      'destinations[1].name: must be unique: "core-banking-rest" is also the name of destinations[0]',
    );
  });

  it('wants an array', () => {
    expect(() => parseRestDestinations(minimal)).toThrow(
      'destinations: must be an array of REST destinations',
    );
  });

  it('names one destination from `destination`', () => {
    expect(() => parseRestDestination({ ...minimal, healthPath: 'x' })).toThrow(
      'destination.healthPath: must be a path starting with /',
    );
  });
});
