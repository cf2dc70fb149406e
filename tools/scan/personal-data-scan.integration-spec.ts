import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { avroSchemas, type MiniappAction } from '@closeout/contracts';
import { AvroSerde, SchemaCatalog, kafkaConnectionFromEnv, kafkajsConnection } from '@closeout/kafka';
import { formatReport, kafkaTarget, runScan } from './personal-data-scan';

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/closeout';
const connection = kafkaConnectionFromEnv(process.env, '127.0.0.1:9092');
const registryUrl = process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

const PAN = '4111 1111 1111 1111';
const EMAIL = 'planted.person@example.com';

describe('personal-data scan finds what was planted, names where, quotes nothing', () => {
  const suffix = randomUUID().slice(0, 8);
  const schema = `scan_it_${suffix}`;
  const topic = `scan.it.${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'scan-it-'));
  const db = new Client({ connectionString: databaseUrl });
  const kafka = new Kafka({
    clientId: 'scan-it',
    ...kafkajsConnection(connection),
    logLevel: logLevel.NOTHING,
  });

  beforeAll(async () => {
    await db.connect();
    await db.query(`CREATE SCHEMA "${schema}"`);
    await db.query(`CREATE TABLE "${schema}".notes (id uuid, note text, doc jsonb, raw bytea)`);
    await db.query(`INSERT INTO "${schema}".notes VALUES ($1, $2, $3, $4)`, [
      randomUUID(),
      `customer said ${PAN}`,
      JSON.stringify({ contact: EMAIL }),
      Buffer.from('clean bytes 1765000000123'),
    ]);
    for (let i = 0; i < 3; i++) {
      await db.query(`INSERT INTO "${schema}".notes VALUES ($1, $2, $3, NULL)`, [
        randomUUID(),
        `ours: wb_9f86d081884c7d659a2feaa0c55ad015 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ${1_765_000_000_000 + i}`,
        JSON.stringify({ mapping: 'billing.payment_failed@v2.1', amount: 123456789012 }),
      ]);
    }
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'k1', value: Buffer.concat([Buffer.from([0, 0, 0, 0, 7, 38]), Buffer.from(`note: ${PAN}`)]) },
        { key: 'k2', value: `mail ${EMAIL}`, headers: { 'correlation-id': randomUUID() } },
        { key: 'k3', value: 'nothing personal' },
      ],
    });
    await producer.disconnect();
    writeFileSync(
      join(dir, 'service.log'),
      `{"msg":"ok"}\n{"msg":"card ${PAN} from ${EMAIL}"}\n{"msg":"ok"}\n`,
    );
  }, 60_000);

  afterAll(async () => {
    await db.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await db.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts per table.column, topic and file, and fails the run', async () => {
    const report = await runScan({
      databaseUrl,
      schemas: [schema],
      ...kafkaTarget(connection),
      topics: [topic],
      kafkaTimeoutMs: 60_000,
      paths: [dir],
      allowList: { contactPoints: [], pans: [], ownDomains: [] },
    });
    const by = Object.fromEntries(report.findings.map((f) => [f.location, f]));
    expect(by[`db:${schema}.notes.note`]).toMatchObject({ pans: 1, emails: 0, phones: 0, allowed: false });
    expect(by[`db:${schema}.notes.doc`]).toMatchObject({ pans: 0, emails: 1, phones: 0, allowed: false });
    expect(by[`db:${schema}.notes.raw`]).toBeUndefined();
    expect(by[`kafka:${topic}`]).toMatchObject({ pans: 1, emails: 1, phones: 0 });
    expect(by[`file:${join(dir, 'service.log')}`]).toMatchObject({ pans: 1, emails: 1, phones: 0 });
    expect(report.findings).toHaveLength(4);
    expect(report.scanned.messages).toBe(3);
    expect(report.violations).toBe(4);
    const text = formatReport(report) + JSON.stringify(report);
    expect(text).not.toContain('4111');
    expect(text).not.toContain(EMAIL);
    expect(text).toContain(`db:${schema}.notes.note`);
    expect(text).toContain('RESULT: 4 location(s)');
  }, 120_000);

  it('an allow-listed location holds contact points without failing the run, never card numbers', async () => {
    const report = await runScan({
      databaseUrl,
      schemas: [schema],
      allowList: { contactPoints: [`db:${schema}.`], pans: [], ownDomains: [] },
    });
    const by = Object.fromEntries(report.findings.map((f) => [f.location, f]));
    expect(by[`db:${schema}.notes.doc`]?.allowed).toBe(true);
    expect(by[`db:${schema}.notes.note`]?.allowed).toBe(false);
    expect(report.violations).toBe(1);
  }, 60_000);

  it('names an outbox row by its topic, so only messages for an allow-listed topic may hold contact points', async () => {
    await db.query(
      `CREATE TABLE "${schema}".outbox (id bigserial, topic text NOT NULL, value jsonb NOT NULL)`,
    );
    await db.query(`INSERT INTO "${schema}".outbox (topic, value) VALUES ($1, $2), ($3, $4), ($5, $6)`, [
      'customer.contact.v1',
      JSON.stringify({ email: EMAIL, phone: '+442079460958' }),
      'case.triggered.v1',
      JSON.stringify({ attributes: { note: `mail ${EMAIL}` } }),
      EMAIL,
      JSON.stringify({ note: 'a topic column holding an address' }),
    ]);
    const report = await runScan({
      databaseUrl,
      schemas: [schema],
      allowList: { contactPoints: [`db:${schema}.outbox[customer.contact.v1].`], pans: [], ownDomains: [] },
    });
    const by = Object.fromEntries(report.findings.map((f) => [f.location, f]));
    expect(by[`db:${schema}.outbox[customer.contact.v1].value`]).toMatchObject({
      emails: 1,
      phones: 1,
      allowed: true,
    });
    expect(by[`db:${schema}.outbox[case.triggered.v1].value`]).toMatchObject({ emails: 1, allowed: false });
    // A topic that is no topic name is never quoted: its row is named `?`, the column itself is counted.
    expect(by[`db:${schema}.outbox.topic`]).toMatchObject({ emails: 1, allowed: false });
    expect(by[`db:${schema}.outbox[?].value`]).toBeUndefined();
    expect(formatReport(report) + JSON.stringify(report)).not.toContain(EMAIL);
  }, 60_000);

  describe('Kafka values are decoded through the schema registry before they are scanned', () => {
    // A per-run topic carrying the real miniapp.action.v1 key and value schemas under its own subjects.
    const avroTopic = `scan.it.avro.${suffix}`;
    const action = (caseId: string, parameters: Record<string, string>): MiniappAction => ({
      eventId: randomUUID(),
      occurredAt: 1_765_000_000_000,
      correlationId: randomUUID(),
      causationId: null,
      idempotencyKey: `miniapp:${caseId}:document.upload`,
      caseId,
      workflowId: 'billing.payment_failed',
      actionId: 'act_1',
      action: 'document.upload',
      identityMethod: 'OTP',
      consentRef: null,
      sessionRef: `sess_${suffix}`,
      parameters,
    });

    beforeAll(async () => {
      const catalog = new SchemaCatalog().define(avroTopic, {
        keySchema: avroSchemas['case-key'],
        valueSchema: avroSchemas['miniapp.action.v1-value'],
      });
      const serde = new AvroSerde(catalog, { registryUrl });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: avroTopic, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const messages = [
        // A refused upload: the map key `signature`, then a 32-character string whose Avro length byte is `@`.
        action('case-refused', {
          refused: 'malware-detected',
          signature: 'Closeout.Test.Malware.UNOFFICIAL',
        }),
        action('case-planted', { note: `write to ${EMAIL}` }),
      ];
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: avroTopic,
        messages: await Promise.all(
          messages.map(async (m) => ({
            key: await serde.encode(avroTopic, 'key', { caseId: m.caseId }),
            value: await serde.encode(avroTopic, 'value', m),
          })),
        ),
      });
      await producer.disconnect();
    }, 60_000);

    afterAll(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [avroTopic] }).catch(() => undefined);
      await admin.disconnect();
    });

    it('as raw bytes, a malware signature after the map key `signature` reads as an address', async () => {
      const report = await runScan({
        ...kafkaTarget(connection),
        topics: [avroTopic],
        kafkaTimeoutMs: 60_000,
      });
      expect(report.findings).toEqual([
        expect.objectContaining({ location: `kafka:${avroTopic}`, emails: 2, pans: 0, phones: 0 }),
      ]);
      // Without a registry nothing decodes, and the report says the bytes were scanned raw.
      expect(report.undecoded[`kafka:${avroTopic}`]).toBe(4);
      expect(formatReport(report)).toContain(`raw      kafka:${avroTopic}  4 key(s)/value(s) did not decode`);
    }, 120_000);

    it('decoded, only the real address in a decoded field is counted', async () => {
      const report = await runScan({
        ...kafkaTarget(connection),
        registryUrl,
        topics: [avroTopic, topic],
        kafkaTimeoutMs: 60_000,
      });
      const by = Object.fromEntries(report.findings.map((f) => [f.location, f]));
      expect(by[`kafka:${avroTopic}`]).toMatchObject({ emails: 1, pans: 0, phones: 0, allowed: false });
      expect(report.undecoded[`kafka:${avroTopic}`]).toBeUndefined();
      // A value that does not decode (the framed one with an unknown schema id, the plain ones) is still scanned raw.
      expect(by[`kafka:${topic}`]).toMatchObject({ pans: 1, emails: 1 });
      expect(report.undecoded[`kafka:${topic}`]).toBe(6);
      const text = formatReport(report) + JSON.stringify(report);
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain('UNOFFICIAL');
    }, 120_000);
  });
});
