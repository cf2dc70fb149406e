import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { validate } from '@readme/openapi-parser';
import { loadConfig } from '@closeout/config';
import { configureHttp, documentedRoutes, registeredRoutes, responseProblems } from '@closeout/platform';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { reconcilerOpenApi as doc } from './openapi';

const run = randomUUID().slice(0, 8);
const TOKEN = `oas-operator-${randomUUID()}`;

/** The reconciler's OpenAPI document against the running service (devstack Kafka, registry, PostgreSQL). */
describe('the reconciler serves an OpenAPI 3.1 document that matches what it answers', () => {
  let app: INestApplication;
  let base: string;

  const call = async (path: string, init: { method?: string; token?: string | null } = {}) => {
    const token = init.token === undefined ? TOKEN : init.token;
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (await res.json()) as unknown,
    };
  };
  const check = (operation: string, r: { status: number; type: string; body: unknown }) =>
    responseProblems(doc, operation, r.status, r.type, r.body);

  beforeAll(async () => {
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: `reconciler-oas-${run}`,
      HTTP_PORT: '3108',
      RECONCILER_DB_SCHEMA: `reconciler_oas_${run}`,
      RECONCILER_DESTINATIONS: `oas-core-${run}`,
      RECONCILER_INTERVAL: '0',
      RECONCILER_API_TOKENS: `operator=${TOKEN}`,
    });
    app = await NestFactory.create(AppModule.register(config), { logger: false, bodyParser: false });
    configureHttp(app, { tokens: config.RECONCILER_API_TOKENS, protectedPrefixes: ['/v1'] });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    const db = app?.get(DataSource);
    await app?.close();
    await db?.query(`DROP SCHEMA IF EXISTS "reconciler_oas_${run}" CASCADE`).catch(() => undefined);
  });

  it('is a valid OpenAPI document, served at GET /openapi.json', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const served = await call('/openapi.json', { token: null });
    expect(served.status).toBe(200);
    expect(served.body).toEqual(doc);
  });

  it('documents every route the app registers, and no other', () => {
    const routes = registeredRoutes(app);
    expect(routes).toEqual(expect.arrayContaining(['GET /v1/slo', 'POST /v1/reconcile']));
    expect(documentedRoutes(doc)).toEqual(routes);
  });

  it('describes real answers: SLO figures, breaks, alerts, a pass, and 400 and 401 problems', async () => {
    const pass = await call('/v1/reconcile', { method: 'POST' });
    expect(pass.status).toBe(200);
    expect(check('POST /v1/reconcile', pass)).toEqual([]);
    for (const path of ['/v1/slo', '/v1/breaks', '/v1/alerts']) {
      const r = await call(`${path}?${path === '/v1/slo' ? '' : 'status=all'}`);
      expect([path, r.status]).toEqual([path, 200]);
      expect(check(`GET ${path}`, r)).toEqual([]);
    }
    const bad = await call('/v1/breaks?kind=NOT_A_KIND');
    expect(bad.status).toBe(400);
    expect(check('GET /v1/breaks', bad)).toEqual([]);
    const anonymous = await call('/v1/slo', { token: null });
    expect(anonymous.status).toBe(401);
    expect(check('GET /v1/slo', anonymous)).toEqual([]);
  }, 60_000);
});
