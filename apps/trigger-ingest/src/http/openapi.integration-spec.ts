import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { validate } from '@readme/openapi-parser';
import { loadConfig } from '@closeout/config';
import { configureHttp, documentedRoutes, registeredRoutes, responseProblems } from '@closeout/platform';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { triggerIngestOpenApi as doc } from './openapi';

const run = randomUUID().slice(0, 8);
const billing = `billing-core-${run}`;
const TOKEN = `oas-token-${randomUUID()}`;
const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'upstream', 'fixtures', 'ok', 'billing.payment_failed.v1.json'), 'utf8'),
) as Record<string, unknown>;

/** trigger-ingest's OpenAPI document against the running service (devstack Kafka, registry, PostgreSQL). */
describe('trigger-ingest serves an OpenAPI 3.1 document that matches what it answers', () => {
  let app: INestApplication;
  let base: string;

  const post = async (body: unknown, token: string | null = TOKEN) => {
    const res = await fetch(`${base}/v1/triggers`, {
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
  const problems = (r: { status: number; type: string; body: unknown }) =>
    responseProblems(doc, 'POST /v1/triggers', r.status, r.type, r.body);

  beforeAll(async () => {
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: `trigger-ingest-oas-${run}`,
      HTTP_PORT: '3101',
      LOG_LEVEL: 'warn',
      INGEST_API_TOKENS: `${billing}=${TOKEN}`,
    });
    app = await NestFactory.create(AppModule.register(config), { logger: false, bodyParser: false });
    configureHttp(app, { tokens: config.INGEST_API_TOKENS, protectedPrefixes: ['/v1'] });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('is a valid OpenAPI document, served at GET /openapi.json', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const served = await fetch(`${base}/openapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(doc);
  });

  it('documents every route the app registers, and no other', () => {
    const routes = registeredRoutes(app);
    expect(routes).toEqual(expect.arrayContaining(['POST /v1/triggers', 'GET /health/ready']));
    expect(documentedRoutes(doc)).toEqual(routes);
  });

  it('describes real answers: accepted, duplicate, and 400, 401, 403 problems', async () => {
    const event = { ...fixture, sourceSystem: billing, eventId: `oas-${run}` };
    const accepted = await post(event);
    expect(accepted.status).toBe(202);
    expect(problems(accepted)).toEqual([]);
    const duplicate = await post(event);
    expect(duplicate.status).toBe(200);
    expect(problems(duplicate)).toEqual([]);

    const bad = await post({ ...event, eventId: `oas-${run}-bad`, eventVersion: 'one' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'eventVersion' }] });
    expect(problems(bad)).toEqual([]);

    const anonymous = await post(event, null);
    expect(anonymous.status).toBe(401);
    expect(problems(anonymous)).toEqual([]);

    const forbidden = await post({ ...event, sourceSystem: `another-${run}`, eventId: `oas-${run}-other` });
    expect(forbidden.status).toBe(403);
    expect(problems(forbidden)).toEqual([]);

    // The check can fail: an answer that breaks the documented schema is reported.
    expect(responseProblems(doc, 'POST /v1/triggers', 202, 'application/json', { caseId: 7 })).not.toEqual(
      [],
    );
  });
});
