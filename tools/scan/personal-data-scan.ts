/**
 * Personal-data scan: after a run, counts card numbers (Luhn-valid 13–19 digits) and unmasked contact points
 * (e-mail addresses, phone numbers) in every table of the `closeout` database, every Kafka topic (DLQs included), the
 * run's log and journal files, the SFTP root and every running service's /metrics. It prints location names and
 * counts, never the values, and exits 1 when it finds any outside the allow-list (tools/scan/allow-list.json).
 *
 *   npm run scan:personal-data [-- --json] [--no-kafka] [--no-db] [--no-files] [--no-metrics] [--allow-list f.json]
 */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaSecurity } from '@closeout/config';
import {
  AvroSerde,
  SchemaCatalog,
  kafkaConnectionFromEnv,
  kafkajsConnection,
  readWireHeader,
  type KafkaConnection,
  type MessagePart,
} from '@closeout/kafka';
import { findContactPoints, findPans } from '@closeout/privacy';
import { services } from '@closeout/deploy';

export interface Counts {
  pans: number;
  emails: number;
  phones: number;
}

export interface Finding extends Counts {
  /** `db:<schema>.<table>.<column>`, `kafka:<topic>`, `file:<path>`, `metrics:<service>` — never a value. */
  location: string;
  allowed: boolean;
}

export interface AllowList {
  /** Location prefixes where contact points are expected (the messaging service's own tables and topics). */
  contactPoints: string[];
  /** Location prefixes where card numbers are expected: none, ever. Kept for symmetry and audits. */
  pans: string[];
  /**
   * The institution's own mail domains (and their subdomains): an address there — a sender such as no-reply@, or an
   * email's Message-ID `<id@domain>`, which messaging keeps as the provider reference — is not a customer's.
   */
  ownDomains: string[];
}

/** The scan's Kafka options from a connection (KAFKA_BROKERS and the KAFKA_SECURITY_PROTOCOL / SASL / SSL settings). */
export function kafkaTarget(connection: KafkaConnection): Pick<ScanOptions, 'brokers' | 'kafkaSecurity'> {
  return {
    brokers: connection.brokers,
    ...(connection.security ? { kafkaSecurity: connection.security } : {}),
  };
}

export interface ScanOptions {
  databaseUrl?: string;
  /** Only these schemas (default: every schema but the system ones). */
  schemas?: string[];
  brokers?: string[];
  /** TLS and SASL towards the brokers (`kafkaConnectionFromEnv()`); absent means PLAINTEXT. */
  kafkaSecurity?: KafkaSecurity;
  /** Only these topics (default: every topic but Kafka's internal ones). */
  topics?: string[];
  /**
   * The schema registry's Confluent-compatible URL (SCHEMA_REGISTRY_URL). With it, each key and value is decoded
   * through the registry and its decoded fields are scanned one by one; without it, or for a message that does not
   * decode, the raw bytes are scanned as text.
   */
  registryUrl?: string;
  kafkaTimeoutMs?: number;
  /** Files and folders to read (recursively). */
  paths?: string[];
  /** Service name → port whose /metrics is read when it answers. */
  metrics?: { name: string; port: number }[];
  allowList?: AllowList;
  /** Called as each location is done, for progress. */
  onProgress?: (what: string) => void;
}

export interface ScanReport {
  findings: Finding[];
  scanned: {
    columns: number;
    rows: number;
    topics: number;
    messages: number;
    files: number;
    metrics: number;
  };
  skipped: string[];
  /**
   * Per topic, how many keys and values were scanned as raw bytes because they did not decode through the schema
   * registry (not Confluent-framed, an id the registry does not know, a body that does not match its schema), or
   * because no registry was given. Raw bytes can read as a contact point where decoded fields would not.
   */
  undecoded: Record<string, number>;
  /** Findings outside the allow-list. */
  violations: number;
}

const MAX_TEXT = 1_000_000;

/** True when the address's domain is one of `ownDomains` or a subdomain of one. */
export function isOwnAddress(address: string, ownDomains: readonly string[]): boolean {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return ownDomains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`));
}

/**
 * Card numbers, e-mail addresses and phone numbers in one text (masked values are not counted, nor addresses at the
 * institution's own domains).
 */
export function countIn(text: string, ownDomains: readonly string[] = []): Counts {
  const t = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  const contacts = findContactPoints(t);
  return {
    pans: findPans(t).length,
    emails: contacts.filter((c) => c.kind === 'email' && !isOwnAddress(t.slice(c.start, c.end), ownDomains))
      .length,
    phones: contacts.filter((c) => c.kind === 'phone').length,
  };
}

class Tally {
  private readonly map = new Map<string, Counts>();
  constructor(private readonly ownDomains: readonly string[]) {}
  add(location: string, text: string): void {
    const c = countIn(text, this.ownDomains);
    if (c.pans + c.emails + c.phones === 0) return;
    const prev = this.map.get(location) ?? { pans: 0, emails: 0, phones: 0 };
    this.map.set(location, {
      pans: prev.pans + c.pans,
      emails: prev.emails + c.emails,
      phones: prev.phones + c.phones,
    });
  }
  findings(allow: AllowList): Finding[] {
    return [...this.map.entries()]
      .map(([location, c]) => {
        const pansOk = c.pans === 0 || allow.pans.some((p) => location.startsWith(p));
        const contactsOk =
          c.emails + c.phones === 0 || allow.contactPoints.some((p) => location.startsWith(p));
        return { location, ...c, allowed: pansOk && contactsOk };
      })
      .sort((a, b) => a.location.localeCompare(b.location));
  }
}

const TEXT_TYPES = new Set([
  'text',
  'character varying',
  'character',
  'json',
  'jsonb',
  'bytea',
  'USER-DEFINED',
  'ARRAY',
]);
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** A row's topic as a location may name it: a Kafka topic name holding no personal data, else `?` (never a value). */
function topicLabel(topic: string | Buffer | null | undefined): string {
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) return '?';
  const c = countIn(topic);
  return c.pans + c.emails + c.phones === 0 ? topic : '?';
}

async function scanDatabase(
  url: string,
  schemas: string[] | undefined,
  tally: Tally,
  report: ScanReport,
  progress: (s: string) => void,
): Promise<void> {
  const client = new Client({ connectionString: url, application_name: 'personal-data-scan' });
  await client.connect();
  try {
    const cols = await client.query<{
      table_schema: string;
      table_name: string;
      column_name: string;
      data_type: string;
    }>(
      `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE t.table_type = 'BASE TABLE' AND c.table_schema <> ALL($1) AND c.table_schema NOT LIKE 'pg_temp%'
        ORDER BY 1, 2, c.ordinal_position`,
      [SYSTEM_SCHEMAS],
    );
    const tables = new Map<
      string,
      { schema: string; table: string; columns: { name: string; type: string }[] }
    >();
    for (const r of cols.rows) {
      if (schemas && !schemas.includes(r.table_schema)) continue;
      if (!TEXT_TYPES.has(r.data_type)) continue;
      const key = `${r.table_schema}.${r.table_name}`;
      const t = tables.get(key) ?? { schema: r.table_schema, table: r.table_name, columns: [] };
      t.columns.push({ name: r.column_name, type: r.data_type });
      tables.set(key, t);
    }
    const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
    for (const [key, t] of tables) {
      // A server-side cursor: 500 rows in memory at a time, whatever the table's size.
      const select = t.columns
        .map((c, i) => (c.type === 'bytea' ? `${q(c.name)} AS c${i}` : `${q(c.name)}::text AS c${i}`))
        .join(', ');
      await client.query('BEGIN READ ONLY');
      try {
        await client.query(
          `DECLARE scan_cursor NO SCROLL CURSOR FOR SELECT ${select} FROM ${q(t.schema)}.${q(t.table)}`,
        );
        for (;;) {
          const batch = await client.query<Record<string, string | Buffer | null>>(
            'FETCH 500 FROM scan_cursor',
          );
          if (batch.rows.length === 0) break;
          report.scanned.rows += batch.rows.length;
          const topicColumn = t.columns.findIndex((c) => c.name === 'topic' && c.type === 'text');
          for (const row of batch.rows) {
            // An outbox row is named by the topic it is for: a message waiting for customer.contact.v1 may hold
            // contact points, one waiting for case.triggered.v1 may not.
            const table = topicColumn < 0 ? key : `${key}[${topicLabel(row[`c${topicColumn}`])}]`;
            t.columns.forEach((c, i) => {
              const v = row[`c${i}`];
              if (v == null) return;
              const location = i === topicColumn ? `db:${key}.${c.name}` : `db:${table}.${c.name}`;
              tally.add(location, Buffer.isBuffer(v) ? v.toString('latin1') : v);
            });
          }
        }
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
      report.scanned.columns += t.columns.length;
      progress(`db:${key}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Decodes Kafka keys and values through the schema registry with Closeout's own serde (libs/kafka AvroSerde): a
 * contract topic with its own schemas, its DLQ (`<topic>.dlq`, which keeps the original bytes) with the topic's,
 * and any other topic with the writer schema the registry holds for the message's schema id.
 */
export class RegistryDecoder {
  private readonly catalog = new SchemaCatalog();
  private readonly serde: AvroSerde;
  /** Writer schemas fetched for topics outside the contracts, by schema id. */
  private readonly writerSchemas = new Map<number, Promise<string | undefined>>();

  constructor(private readonly registryUrl: string) {
    this.serde = new AvroSerde(this.catalog, { registryUrl, clientId: 'personal-data-scan' });
  }

  /** The decoded key or value, or undefined when the bytes do not decode (the caller scans them raw). */
  async decode(topic: string, part: MessagePart, bytes: Buffer): Promise<unknown> {
    const header = readWireHeader(bytes);
    if (!header.ok) return undefined;
    const base = topic.endsWith('.dlq') ? topic.slice(0, -'.dlq'.length) : topic;
    let as = this.catalog.has(base) ? base : undefined;
    if (!as) {
      // Outside the contracts: read it as a topic of its own, with the schema the message says it was written with.
      const schema = await this.writerSchema(header.schemaId);
      if (!schema) return undefined;
      as = `personal-data-scan/${header.schemaId}`;
      if (!this.catalog.has(as)) this.catalog.define(as, { keySchema: schema, valueSchema: schema });
    }
    try {
      return await this.serde.decode(as, part, bytes);
    } catch {
      return undefined;
    }
  }

  private writerSchema(id: number): Promise<string | undefined> {
    let known = this.writerSchemas.get(id);
    if (!known) {
      known = fetch(`${this.registryUrl.replace(/\/+$/, '')}/schemas/ids/${id}`, {
        headers: { accept: 'application/vnd.schemaregistry.v1+json' },
        signal: AbortSignal.timeout(5000),
      })
        .then(async (res) => {
          if (!res.ok) return undefined;
          const body = (await res.json()) as { schema?: unknown; schemaType?: string };
          if (body.schemaType && body.schemaType !== 'AVRO') return undefined;
          return typeof body.schema === 'string' ? body.schema : undefined;
        })
        .catch(() => undefined);
      this.writerSchemas.set(id, known);
    }
    return known;
  }
}

/** Every text inside a decoded Avro value: strings, map keys, enum symbols, bytes as UTF-8, each on its own. */
export function* decodedTexts(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Buffer.isBuffer(value)) yield value.toString('utf8');
  else if (Array.isArray(value)) for (const v of value) yield* decodedTexts(v);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // Record field names are the schema's; map keys are data. Both are scanned: a field name holds nothing personal.
      yield k;
      yield* decodedTexts(v);
    }
  }
}

async function scanKafka(
  connection: KafkaConnection,
  registryUrl: string | undefined,
  only: string[] | undefined,
  timeoutMs: number,
  tally: Tally,
  report: ScanReport,
  progress: (s: string) => void,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'personal-data-scan',
    ...kafkajsConnection(connection),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `personal-data-scan-${randomUUID()}`;
  try {
    const topics = (await admin.listTopics())
      .filter((t) => !t.startsWith('__') && !t.startsWith('_') && (!only || only.includes(t)))
      .sort();
    // What is there now: each partition is read from its low to its high watermark, then the topic is done.
    const remaining = new Map<string, number>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const todo = Number(p.high) - Number(p.low);
        if (todo > 0) remaining.set(`${topic}/${p.partition}`, Number(p.high));
      }
    }
    report.scanned.topics += topics.length;
    if (remaining.size === 0) return;
    const decoder = registryUrl ? new RegistryDecoder(registryUrl) : undefined;
    /** A key or value scanned field by field when it decodes, as raw bytes (counted as undecoded) otherwise. */
    const scanPart = async (topic: string, part: MessagePart, bytes: Buffer): Promise<void> => {
      const location = `kafka:${topic}`;
      const decoded = decoder ? await decoder.decode(topic, part, bytes) : undefined;
      if (decoded !== undefined) {
        for (const text of decodedTexts(decoded)) tally.add(location, text);
        return;
      }
      report.undecoded[location] = (report.undecoded[location] ?? 0) + 1;
      // Avro strings are raw UTF-8 inside the bytes: the bytes as text still catch them.
      tally.add(location, bytes.toString('utf8'));
    };
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, maxBytes: 5 * 1024 * 1024 });
    await consumer.connect();
    try {
      await consumer.subscribe({
        topics: topics.filter((t) => [...remaining.keys()].some((k) => k.startsWith(`${t}/`))),
        fromBeginning: true,
      });
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const key = `${batch.topic}/${batch.partition}`;
          const high = remaining.get(key);
          for (const m of batch.messages) {
            if (high !== undefined && Number(m.offset) >= high) break;
            report.scanned.messages++;
            const location = `kafka:${batch.topic}`;
            if (m.value) await scanPart(batch.topic, 'value', m.value);
            if (m.key) await scanPart(batch.topic, 'key', m.key);
            for (const [h, v] of Object.entries(m.headers ?? {})) {
              const values = Array.isArray(v) ? v : [v];
              for (const x of values) if (x != null) tally.add(`${location}#header:${h}`, x.toString());
            }
          }
          const last = batch.messages.at(-1);
          if (high !== undefined && last && Number(last.offset) + 1 >= high) {
            remaining.delete(key);
            progress(`kafka:${key}`);
          }
          if (remaining.size === 0) done();
        },
      });
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      if ((await Promise.race([finished, timer])) === 'timeout') {
        for (const k of remaining.keys())
          report.skipped.push(`kafka:${k} (not read to its end in ${timeoutMs} ms)`);
      }
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function* walk(path: string): Generator<string> {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isFile()) {
    yield path;
    return;
  }
  if (!st.isDirectory()) return;
  for (const entry of readdirSync(path).sort()) yield* walk(join(path, entry));
}

async function scanFile(file: string, tally: Tally): Promise<void> {
  // Line by line: a log of any size in bounded memory (a line is cut at MAX_TEXT by countIn).
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'latin1' }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) tally.add(`file:${file}`, line);
}

async function scanMetrics(
  targets: { name: string; port: number }[],
  tally: Tally,
  report: ScanReport,
): Promise<void> {
  for (const t of targets) {
    try {
      const res = await fetch(`http://127.0.0.1:${t.port}/metrics`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) {
        report.skipped.push(`metrics:${t.name} (HTTP ${res.status})`);
        continue;
      }
      const text = await res.text();
      report.scanned.metrics++;
      // Only the labels can carry input: sample values and HELP texts are ours.
      for (const line of text.split('\n')) {
        const open = line.indexOf('{');
        if (line.startsWith('#') || open < 0) continue;
        tally.add(`metrics:${t.name}`, line.slice(open, line.lastIndexOf('}') + 1));
      }
    } catch {
      report.skipped.push(`metrics:${t.name} (not reachable on :${t.port})`);
    }
  }
}

export function loadAllowList(file: string): AllowList {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<AllowList>;
  return { contactPoints: raw.contactPoints ?? [], pans: raw.pans ?? [], ownDomains: raw.ownDomains ?? [] };
}

export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const tally = new Tally(options.allowList?.ownDomains ?? []);
  const progress = options.onProgress ?? (() => undefined);
  const report: ScanReport = {
    findings: [],
    scanned: { columns: 0, rows: 0, topics: 0, messages: 0, files: 0, metrics: 0 },
    skipped: [],
    undecoded: {},
    violations: 0,
  };
  if (options.databaseUrl) await scanDatabase(options.databaseUrl, options.schemas, tally, report, progress);
  if (options.brokers?.length)
    await scanKafka(
      { brokers: options.brokers, ...(options.kafkaSecurity ? { security: options.kafkaSecurity } : {}) },
      options.registryUrl,
      options.topics,
      options.kafkaTimeoutMs ?? 120_000,
      tally,
      report,
      progress,
    );
  for (const root of options.paths ?? []) {
    for (const file of walk(root)) {
      await scanFile(file, tally);
      report.scanned.files++;
    }
  }
  if (options.metrics?.length) await scanMetrics(options.metrics, tally, report);
  report.findings = tally.findings(options.allowList ?? { contactPoints: [], pans: [], ownDomains: [] });
  report.violations = report.findings.filter((f) => !f.allowed).length;
  return report;
}

/** The report as text: one line per location with counts, never a value. */
export function formatReport(report: ScanReport): string {
  const s = report.scanned;
  const out = [
    `personal-data scan: ${s.columns} columns (${s.rows} rows), ${s.topics} topics (${s.messages} messages), ${s.files} files, ${s.metrics} /metrics`,
  ];
  if (report.findings.length === 0) out.push('  no card numbers, e-mail addresses or phone numbers found');
  for (const f of report.findings) {
    out.push(
      `  ${f.allowed ? 'allowed ' : 'FOUND   '} ${f.location}  pans=${f.pans} emails=${f.emails} phones=${f.phones}`,
    );
  }
  for (const k of report.skipped) out.push(`  skipped  ${k}`);
  for (const [location, n] of Object.entries(report.undecoded).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(
      `  raw      ${location}  ${n} key(s)/value(s) did not decode through the schema registry: scanned as raw bytes`,
    );
  }
  out.push(
    report.violations === 0
      ? '  RESULT: clean'
      : `  RESULT: ${report.violations} location(s) hold personal data outside the allow-list`,
  );
  return out.join('\n');
}

/** Where the main job leaves what it wrote: service logs and core journals, and the SFTP core's root. */
export function defaultPaths(repoRoot: string): string[] {
  return [join(repoRoot, '.devstack', 'services'), join(repoRoot, '.devstack', 'sftp', 'root')];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const has = (f: string) => args.includes(f);
  const value = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const repoRoot = join(__dirname, '..', '..');
  const env = process.env;
  const allowFile = value('--allow-list') ?? join(__dirname, 'allow-list.json');
  const report = await runScan({
    ...(has('--no-db')
      ? {}
      : { databaseUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/closeout' }),
    ...(has('--no-kafka')
      ? {}
      : {
          ...kafkaTarget(kafkaConnectionFromEnv(env, '127.0.0.1:9092')),
          registryUrl: env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
        }),
    kafkaTimeoutMs: Number(value('--kafka-timeout-ms') ?? 180_000),
    paths: has('--no-files')
      ? []
      : [...defaultPaths(repoRoot), ...(value('--path') ? [value('--path')!] : [])],
    metrics: has('--no-metrics') ? [] : services.map((s) => ({ name: s.name, port: s.port })),
    allowList: loadAllowList(allowFile),
    onProgress: has('--verbose') ? (w) => console.error(`scanned ${w}`) : undefined,
  });
  console.log(has('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exitCode = report.violations === 0 ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`personal-data scan failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
