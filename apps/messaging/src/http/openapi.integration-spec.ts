import { randomBytes } from 'node:crypto';
import { validate } from '@readme/openapi-parser';
import { documentedRoutes, registeredRoutes, responseProblems } from '@closeout/platform';
import {
  afternoonZone,
  startMessagingUnderTest,
  type MessagingUnderTest,
} from '../test-support/messaging-it';
import { messagingOpenApi as doc } from './openapi';

const run = randomBytes(4).toString('hex');
const API_TOKEN = `mini-app-token-${run}-${randomBytes(8).toString('hex')}`;

/** The messaging service's OpenAPI document against the running service (devstack Kafka, registry, PostgreSQL). */
describe('messaging serves an OpenAPI 3.1 document that matches what it answers', () => {
  let service: MessagingUnderTest;

  beforeAll(async () => {
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-oas-it',
      from: `no-reply-${run}@closeout.example`,
      smsAccount: {
        accountSid: `AC${'ef'.repeat(16)}`,
        authToken: `token-${run}`,
        numbers: ['+15005550006'],
      },
      timeZone: afternoonZone(),
      env: { MESSAGING_INTERNAL_API_TOKENS: `mini-app=${API_TOKEN}` },
    });
  }, 120_000);

  afterAll(async () => {
    await service?.close();
  });

  const post = async (path: string, body: unknown, token: string | null = API_TOKEN) => {
    const res = await fetch(`${service.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (await res.json()) as unknown,
    };
  };

  it('is a valid OpenAPI document, served at GET /openapi.json', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const served = await fetch(`${service.base}/openapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(doc);
  });

  it('documents every route the app registers, and no other', () => {
    const routes = registeredRoutes(service.app);
    expect(routes).toEqual(expect.arrayContaining(['POST /internal/v1/links/{tokenSha256}/opt-out']));
    expect(documentedRoutes(doc)).toEqual(routes);
  });

  it('describes real answers: 400, 401 and 404 problems of the internal API', async () => {
    const hash = 'a'.repeat(64);
    const optOut = `/internal/v1/links/{tokenSha256}/opt-out`;
    const bad = await post(`/internal/v1/links/${hash}/opt-out`, { source: 'somewhere' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'source' }] });
    expect(responseProblems(doc, `POST ${optOut}`, bad.status, bad.type, bad.body)).toEqual([]);
    const unknown = await post(`/internal/v1/links/${hash}/opt-out`, { source: 'mini-app' });
    expect(unknown.status).toBe(404);
    expect(responseProblems(doc, `POST ${optOut}`, unknown.status, unknown.type, unknown.body)).toEqual([]);
    const anonymous = await post(`/internal/v1/links/${hash}/opt-out`, { source: 'mini-app' }, null);
    expect(anonymous.status).toBe(401);
    expect(responseProblems(doc, `POST ${optOut}`, anonymous.status, anonymous.type, anonymous.body)).toEqual(
      [],
    );
    const badCode = await post(`/internal/v1/links/${hash}/one-time-code`, { code: '12' });
    expect(badCode.status).toBe(400);
    expect(
      responseProblems(
        doc,
        'POST /internal/v1/links/{tokenSha256}/one-time-code',
        400,
        badCode.type,
        badCode.body,
      ),
    ).toEqual([]);
  });
});
