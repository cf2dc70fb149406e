import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { validate } from '@readme/openapi-parser';
import { loadConfig } from '@closeout/config';
import { configureHttp, documentedRoutes, registeredRoutes, responseProblems } from '@closeout/platform';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { testKeys } from '../test-support/audit-store-it';
import { auditHttpOptions } from './http-options';
import { auditOpenApi } from './openapi';

const TOKEN = `audit-reader-${randomUUID()}`;

/** The audit-exporter's OpenAPI document against the running service (devstack Kafka, registry, PostgreSQL). */
describe('audit-exporter serves an OpenAPI 3.1 document that matches what it answers', () => {
  const run = randomUUID().slice(0, 8);
  const schema = `audit_oas_${run}`;
  let app: INestApplication;
  let base: string;

  const get = async (path: string, token: string | null = TOKEN) => {
    const res = await fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (await res.json()) as unknown,
    };
  };

  beforeAll(async () => {
    const keys = testKeys(`oas-${run}`);
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: `audit-exporter-oas-${run}`,
      HTTP_PORT: '3109',
      AUDIT_DB_SCHEMA: schema,
      AUDIT_API_TOKENS: `ops-console=${TOKEN}`,
      AUDIT_SIGNING_KEY_FILE: keys.privateKeyFile,
      AUDIT_SIGNING_KEY_ID: keys.signer.keyId,
    });
    app = await NestFactory.create(AppModule.register(config, { fromBeginning: false }), {
      logger: false,
      bodyParser: false,
    });
    configureHttp(app, auditHttpOptions(config));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    const db = app?.get(DataSource);
    await app?.close();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  });

  it('is a valid OpenAPI document, served at GET /openapi.json', async () => {
    const result = await validate(structuredClone(auditOpenApi) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const served = await get('/openapi.json', null);
    expect(served.status).toBe(200);
    expect(served.body).toEqual(auditOpenApi);
  });

  it('documents every route the app registers, and no other', () => {
    const routes = registeredRoutes(app);
    expect(routes).toEqual(
      expect.arrayContaining(['GET /v1/audit', 'GET /v1/audit/verify', 'GET /health/ready']),
    );
    expect(documentedRoutes(auditOpenApi)).toEqual(routes);
  });

  it('describes real answers: a trail page, a verification, a 400 and a 401 problem', async () => {
    const page = await get(`/v1/audit?caseId=case-${run}&limit=10`);
    expect(page.status).toBe(200);
    expect(responseProblems(auditOpenApi, 'GET /v1/audit', page.status, page.type, page.body)).toEqual([]);

    const bad = await get('/v1/audit?caseId=case-1&limit=abc');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'limit' }] });
    expect(responseProblems(auditOpenApi, 'GET /v1/audit', bad.status, bad.type, bad.body)).toEqual([]);

    const anonymous = await get(`/v1/audit?caseId=case-${run}`, null);
    expect(anonymous.status).toBe(401);
    expect(
      responseProblems(auditOpenApi, 'GET /v1/audit', anonymous.status, anonymous.type, anonymous.body),
    ).toEqual([]);

    const verified = await get('/v1/audit/verify');
    expect([200, 409]).toContain(verified.status);
    expect(
      responseProblems(auditOpenApi, 'GET /v1/audit/verify', verified.status, verified.type, verified.body),
    ).toEqual([]);
    // The check can fail: a body that breaks the schema is reported.
    expect(
      responseProblems(auditOpenApi, 'GET /v1/audit', 200, 'application/json', { caseId: 1 }),
    ).not.toEqual([]);
  });
});
