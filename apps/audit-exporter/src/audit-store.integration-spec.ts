import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '@closeout/config';
import { Topics, type AuditEvent } from '@closeout/contracts';
import { KafkaClient, kafkaConnectionFromEnv, positionGroupsAtEnd } from '@closeout/kafka';
import { configureHttp } from '@closeout/platform';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { auditHttpOptions } from './http/http-options';
import { recordHash } from './store/record-chain';
import { auditEvent, testKeys } from './test-support/audit-store-it';

const TOKEN = `audit-reader-${randomUUID()}`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface TrailPage {
  caseId: string;
  records: Array<{ seq: number; hash: string; event: AuditEvent }>;
  next: number | null;
}

/** The audit-exporter against the devstack's Kafka, registry and PostgreSQL: audit.event.v1 in, the case's story out. */
describe('audit-exporter stores the audit trail', () => {
  const run = randomUUID().slice(0, 8);
  const serviceName = `audit-exporter-it-${run}`;
  const schema = `audit_it_${run}`;
  const keys = testKeys(`it-${run}`);
  let app: INestApplication;
  let db: DataSource;
  let kafka: KafkaClient;
  let base: string;

  const get = (path: string, token: string | null = TOKEN) =>
    fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const publish = (events: AuditEvent[]) =>
    kafka.publisher.publishMany(
      events.map((e) => ({
        topic: Topics.auditEvent,
        key: { correlationId: e.correlationId },
        value: e,
        headers: { correlationId: e.correlationId },
      })),
    );
  const trail = async (caseId: string, limit: number): Promise<TrailPage['records']> => {
    const records: TrailPage['records'] = [];
    let after = 0;
    for (;;) {
      const res = await get(`/v1/audit?caseId=${caseId}&after=${after}&limit=${limit}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as TrailPage;
      expect(page.records.length).toBeLessThanOrEqual(limit);
      records.push(...page.records);
      if (page.next === null) return records;
      after = page.next;
    }
  };

  beforeAll(async () => {
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: serviceName,
      HTTP_PORT: '3109',
      AUDIT_DB_SCHEMA: schema,
      AUDIT_API_TOKENS: `ops-console=${TOKEN}`,
      AUDIT_SIGNING_KEY_FILE: keys.privateKeyFile,
      AUDIT_SIGNING_KEY_ID: keys.signer.keyId,
      AUDIT_CHECKPOINT_EVERY_RECORDS: '5',
    });
    const connection = kafkaConnectionFromEnv(process.env);
    // Only what this suite publishes from now on (and whatever else shares the topic meanwhile).
    await positionGroupsAtEnd(connection, [
      { groupId: `${serviceName}.audit-event`, topic: Topics.auditEvent },
    ]);
    kafka = new KafkaClient({
      clientId: `${serviceName}-publisher`,
      ...connection,
      schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL']!,
      topics: [Topics.auditEvent],
    });
    await kafka.start();
    app = await NestFactory.create(AppModule.register(config, { fromBeginning: false }), {
      logger: false,
      bodyParser: false,
    });
    configureHttp(app, auditHttpOptions(config));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    db = app.get(DataSource);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await kafka?.close();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  });

  it('stores a case’s events once each, in order, chained, and the case query returns the whole story page by page', async () => {
    const caseId = `case-${run}-story`;
    const other = `case-${run}-other`;
    const story = Array.from({ length: 14 }, (_, step) => auditEvent(caseId, step));
    const noise = Array.from({ length: 6 }, (_, step) => auditEvent(other, step));
    await publish([...story.slice(0, 7), ...noise.slice(0, 3)]);
    await publish([...story.slice(7), ...noise.slice(3)]);
    // Redelivered: the same events again (a producer retry, a replayed partition).
    await publish([story[2]!, story[9]!, story[13]!]);

    const records = await until('the case’s 14 records', async () => {
      const page = (await (await get(`/v1/audit?caseId=${caseId}&limit=500`)).json()) as TrailPage;
      return page.records.length >= 14 ? page.records : undefined;
    });
    // Give the redelivered ones time to arrive, then read the story through pages of 4.
    await until('the redelivered events handled', async () => {
      const [row] = (await db.query(
        `SELECT count(*)::int AS n FROM "${schema}".record WHERE case_id IN ($1, $2)`,
        [caseId, other],
      )) as Array<{ n: number }>;
      return row && row.n >= 20 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const paged = await trail(caseId, 4);
    expect(paged.map((r) => r.event.eventId)).toEqual(story.map((e) => e.eventId));
    expect(paged.map((r) => r.event.reason)).toEqual(story.map((e) => e.reason));
    expect(paged.map((r) => r.seq)).toEqual([...paged.map((r) => r.seq)].sort((a, b) => a - b));
    expect(paged.map((r) => r.event)).toEqual(records.map((r) => r.event));
    expect(paged[0]!.event).toEqual(story[0]);

    // Stored once: the event id is unique in the store.
    const [count] = (await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids FROM "${schema}".record WHERE case_id = $1`,
      [caseId],
    )) as Array<{ n: number; ids: number }>;
    expect(count).toEqual({ n: 14, ids: 14 });

    // Chained: every record's hash covers its predecessor's hash, its seq and its canonical form, with no gap.
    const rows = (await db.query(
      `SELECT seq::int AS seq, canonical, prev_hash, hash FROM "${schema}".record ORDER BY seq`,
    )) as Array<{ seq: number; canonical: string; prev_hash: string; hash: string }>;
    rows.forEach((row, i) => {
      expect(row.seq).toBe(i + 1);
      expect(row.prev_hash).toBe(i === 0 ? '0'.repeat(64) : rows[i - 1]!.hash);
      expect(recordHash(row.prev_hash, row.seq, row.canonical)).toBe(row.hash);
    });

    const verified = await get('/v1/audit/verify');
    expect(verified.status).toBe(200);
    const report = (await verified.json()) as {
      ok: boolean;
      records: number;
      checkpoints: number;
      signaturesChecked: boolean;
    };
    expect(report).toMatchObject({ ok: true, signaturesChecked: true });
    expect(report.records).toBeGreaterThanOrEqual(20);
    expect(report.checkpoints).toBeGreaterThanOrEqual(1);
  });

  it('the database refuses to change or remove a stored record or checkpoint', async () => {
    await publish([auditEvent(`case-${run}-locked`, 0)]);
    await until('a record', async () => {
      const rows = (await db.query(`SELECT seq FROM "${schema}".record LIMIT 1`)) as unknown[];
      return rows.length > 0 ? true : undefined;
    });
    for (const sql of [
      `UPDATE "${schema}".record SET action = 'case.completed'`,
      `DELETE FROM "${schema}".record`,
      `TRUNCATE "${schema}".record`,
      `UPDATE "${schema}".checkpoint SET key_id = 'other'`,
      `DELETE FROM "${schema}".checkpoint`,
    ])
      await expect(db.query(sql)).rejects.toThrow(/append-only/);
    // The writer's role may insert and read, nothing else.
    const [grants] = (await db.query(
      `SELECT has_table_privilege('closeout_audit_writer', $1, 'INSERT') AS ins,
              has_table_privilege('closeout_audit_writer', $1, 'SELECT') AS sel,
              has_table_privilege('closeout_audit_writer', $1, 'UPDATE') AS upd,
              has_table_privilege('closeout_audit_writer', $1, 'DELETE') AS del`,
      [`"${schema}".record`],
    )) as Array<Record<string, boolean>>;
    expect(grants).toEqual({ ins: true, sel: true, upd: false, del: false });
  });

  it('answers bad queries with problem+json naming the field and the rule, and strangers with 401', async () => {
    expect((await get('/v1/audit?caseId=x', null)).status).toBe(401);
    expect((await get('/v1/audit/verify', 'wrong-token')).status).toBe(401);
    for (const [query, field] of [
      ['', 'caseId'],
      ['caseId=a%20b', 'caseId'],
      [`caseId=${'c'.repeat(257)}`, 'caseId'],
      ['caseId=c&limit=0', 'limit'],
      ['caseId=c&limit=501', 'limit'],
      ['caseId=c&after=-1', 'after'],
      ['caseId=c&after=99999999999999999', 'after'],
      ['caseId=c&colour=red', '(query)'],
    ] as const) {
      const res = await get(`/v1/audit?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const body = (await res.json()) as { errors: Array<{ field: string; rule: string }> };
      expect(body.errors.map((e) => e.field)).toContain(field);
      expect(body.errors.every((e) => e.rule.length > 0)).toBe(true);
    }
  });
});
