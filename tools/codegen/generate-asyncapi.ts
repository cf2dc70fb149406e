/**
 * Generates docs/api/asyncapi.yaml, the AsyncAPI 3 document of every Closeout topic, from what already defines them:
 * the topic list and each topic's key and value schema (libs/contracts `Topics`, `topicContracts`, built from schemas/),
 * the headers every message carries (libs/kafka `HeaderNames`, `SignatureHeaders`), and which service produces and
 * consumes each topic, read from each service's code (see `topicUsage`). Nothing in the document is written by hand.
 *
 *   npm run asyncapi:generate     # writes docs/api/asyncapi.yaml
 *   npm run asyncapi:check        # exits 1 when the committed file differs from what the code says
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';
import { stringify } from 'yaml';
import { Topics, avroSchemas, topicContracts, dlqTopic, type TopicName } from '@closeout/contracts';
import { HeaderNames, SignatureHeaders } from '@closeout/kafka';
import { platformServices } from '@closeout/deploy';

const root = join(__dirname, '..', '..');
export const asyncApiPath = join(root, 'docs', 'api', 'asyncapi.yaml');
export const REGENERATE = 'npm run asyncapi:generate';
const AVRO_FORMAT = 'application/vnd.apache.avro;version=1.9.0';
const KAFKA_BINDING = '0.5.0';

type TopicKey = keyof typeof Topics;

/** One place in a service's code that produces or consumes a topic. */
export interface TopicUse {
  service: string;
  action: 'send' | 'receive';
  topic: TopicName;
  /** Repository-relative file of the call. */
  source: string;
  /** The consumer group as the code writes it, `<service>` standing for the service's name. */
  groupId?: string;
}

export interface CodeFacts {
  uses: TopicUse[];
  /** Topics whose records a service signs (createRecordSigner({ topics })), with the service. */
  signed: { service: string; topic: TopicName }[];
}

const topicByKey = (key: string): TopicName | undefined =>
  (Topics as Record<string, TopicName>)[key as TopicKey];

/** `Topics.caseTriggered` → 'case.triggered.v1'; anything else → undefined. */
function topicOf(node: ts.Node | undefined, sf: ts.SourceFile): TopicName | undefined {
  if (!node || !ts.isPropertyAccessExpression(node)) return undefined;
  if (node.expression.getText(sf) !== 'Topics') return undefined;
  return topicByKey(node.name.text);
}

function propertyOf(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name) return p.initializer;
  }
  return undefined;
}

/** The name of the top-level declaration (function, class, variable) that `ancestors` (outermost first) sit in. */
function topLevelName(ancestors: readonly ts.Node[]): string | undefined {
  const n = ancestors[1];
  if (!n) return undefined;
  if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name) return n.name.text;
  if (ts.isVariableStatement(n)) {
    const d = n.declarationList.declarations[0];
    if (d && ts.isIdentifier(d.name)) return d.name.text;
  }
  return undefined;
}

function groupIdText(expr: ts.Expression | undefined, sf: ts.SourceFile): string | undefined {
  if (!expr) return undefined;
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return expr.text;
  if (ts.isTemplateExpression(expr)) {
    let out = expr.head.text;
    for (const span of expr.templateSpans) {
      out += /serviceName|SERVICE|service\b/i.test(span.expression.getText(sf)) ? '<service>' : '*';
      out += span.literal.text;
    }
    return out;
  }
  return undefined;
}

interface Site {
  action: 'send' | 'receive';
  topic: TopicName;
  file: string;
  groupId?: string;
  /** For a site in a lib: the top-level declaration it sits in, which the service must reach for it to count. */
  within?: string;
}

function sitesIn(sf: ts.SourceFile): { sites: Site[]; signed: TopicName[] } {
  const sites: Site[] = [];
  const signed: TopicName[] = [];
  const file = relative(root, sf.fileName);
  const inLib = file.startsWith('libs/');
  const ancestors: ts.Node[] = [];
  const site = (s: Omit<Site, 'file' | 'within'>): void => {
    const within = inLib ? topLevelName(ancestors) : undefined;
    sites.push({ ...s, file, ...(within ? { within } : {}) });
  };
  const visit = (node: ts.Node): void => {
    let skip: ts.Node | undefined;
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isIdentifier(callee)
          ? callee.text
          : '';
      const first = node.arguments[0];
      if (name === 'subscribe' && first && ts.isObjectLiteralExpression(first)) {
        const topic = topicOf(propertyOf(first, 'topic'), sf);
        const groupId = groupIdText(propertyOf(first, 'groupId'), sf);
        if (topic) site({ action: 'receive', topic, ...(groupId ? { groupId } : {}) });
        skip = first;
      } else if (name === 'createRecordSigner' && first && ts.isObjectLiteralExpression(first)) {
        const list = propertyOf(first, 'topics');
        if (list && ts.isArrayLiteralExpression(list)) {
          for (const el of list.elements) {
            const t = topicOf(el, sf);
            if (t) signed.push(t);
          }
        }
      } else if (name === 'publish' && topicOf(first, sf)) {
        // publisher.publish(Topics.x, key, value, headers)
        site({ action: 'send', topic: topicOf(first, sf)! });
      }
    } else if (ts.isObjectLiteralExpression(node)) {
      // A message: `{ topic: Topics.x, key, value }`, for an outbox, a session's publish, a returned message.
      const topic = topicOf(propertyOf(node, 'topic'), sf);
      const has = (p: string): boolean =>
        node.properties.some(
          (x) =>
            (ts.isPropertyAssignment(x) || ts.isShorthandPropertyAssignment(x)) && x.name.getText(sf) === p,
        );
      if (topic && has('key') && has('value')) site({ action: 'send', topic });
    }
    ancestors.push(node);
    ts.forEachChild(node, (child) => {
      if (child !== skip) visit(child);
    });
    ancestors.pop();
  };
  visit(sf);
  return { sites, signed };
}

const LIFECYCLE_HOOKS = new Set(['onModuleInit', 'onApplicationBootstrap']);

/** A class Nest calls at start: it has an `onModuleInit` or `onApplicationBootstrap` method. */
function startsWithNest(node: ts.Node): boolean {
  return (
    ts.isClassDeclaration(node) &&
    node.members.some(
      (m) => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && LIFECYCLE_HOOKS.has(m.name.text),
    )
  );
}

/**
 * Identifiers a node uses, leaving out imports; in Nest registrations (`providers: [...]`, `exports: [...]`) only the
 * classes Nest starts (`started`) count: registering a provider does not use it, Nest calling its start hook does.
 */
function usedNames(node: ts.Node, out: Set<string>, started: ReadonlySet<string>): Set<string> {
  const visit = (n: ts.Node, registration: boolean): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    const isRegistration =
      ts.isPropertyAssignment(n) &&
      ts.isIdentifier(n.name) &&
      (n.name.text === 'providers' || n.name.text === 'exports');
    if (ts.isIdentifier(n) && (!registration || started.has(n.text))) out.add(n.text);
    ts.forEachChild(n, (c) => visit(c, registration || isRegistration));
  };
  visit(node, false);
  return out;
}

/**
 * The lib declarations a service uses: starting from the names its own files (apps/<service>/src) use, every top-level
 * declaration of a reached lib file with such a name, then the names those use, and so on. Registering a provider
 * (`providers: [AuditEmitter]`) is not using it, unless Nest starts it (`WritebackService`); injecting or calling it is.
 */
function usedLibDeclarations(service: string, files: readonly ts.SourceFile[]): Set<string> {
  const own = `apps/${service}/`;
  const declarations = new Map<string, ts.Node[]>();
  const started = new Set<string>();
  for (const sf of files) {
    for (const statement of sf.statements) {
      const name = topLevelName([sf, statement]);
      if (name && startsWithNest(statement)) started.add(name);
      if (name && !relative(root, sf.fileName).startsWith(own))
        declarations.set(name, [...(declarations.get(name) ?? []), statement]);
    }
  }
  const reached = new Set<string>();
  for (const sf of files) if (relative(root, sf.fileName).startsWith(own)) usedNames(sf, reached, started);
  const used = new Set<string>();
  const queue = [...reached];
  while (queue.length) {
    const name = queue.pop()!;
    if (used.has(name) || !declarations.has(name)) continue;
    used.add(name);
    for (const statement of declarations.get(name)!) {
      for (const n of usedNames(statement, new Set(), started)) if (!used.has(n)) queue.push(n);
    }
  }
  return used;
}

/**
 * Which service produces and consumes which topic, from the code: every source file a service's `main.ts` reaches
 * (its own and the libs it imports, tests left out) is read for `subscribe({ topic: Topics.x, groupId })` (consumes),
 * `publish(Topics.x, …)`, `publish({ topic: Topics.x, … })` and functions returning an outbox message
 * `{ topic: Topics.x, key, value }` (produces), and `createRecordSigner({ topics: [Topics.x] })` (signs). A site in a
 * lib counts for a service only when the service uses the lib function or class it sits in (`usedLibDeclarations`):
 * every service is given an AuditEmitter, only those that call it produce audit.event.v1.
 */
export function topicUsage(): CodeFacts {
  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = { ...parsed.options, types: [], noEmit: true };
  const host = ts.createCompilerHost(options);
  const cache = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!cache.has(fileName))
      cache.set(fileName, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return cache.get(fileName);
  };
  const siteCache = new Map<string, ReturnType<typeof sitesIn>>();
  const facts: CodeFacts = { uses: [], signed: [] };
  const isOwnSource = (f: string): boolean =>
    !f.includes('/node_modules/') &&
    f.startsWith(root) &&
    !/\.(integration-|browser-)?spec\.ts$/.test(f) &&
    !/\/(test-support|testing)\//.test(f) &&
    !f.endsWith('.d.ts');
  for (const { name } of platformServices) {
    const main = join(root, 'apps', name, 'src', 'main.ts');
    if (!existsSync(main)) continue;
    const program = ts.createProgram({ rootNames: [main], options, host });
    const files = program.getSourceFiles().filter((sf) => isOwnSource(sf.fileName));
    const seen = new Set<string>();
    const used = usedLibDeclarations(name, files);
    for (const sf of files) {
      let found = siteCache.get(sf.fileName);
      if (!found) {
        found = sitesIn(sf);
        siteCache.set(sf.fileName, found);
      }
      for (const t of found.signed) facts.signed.push({ service: name, topic: t });
      for (const s of found.sites) {
        if (s.within && !used.has(s.within)) continue;
        const id = `${s.action}|${s.topic}|${s.file}|${s.groupId ?? ''}`;
        if (seen.has(id)) continue;
        seen.add(id);
        facts.uses.push({
          service: name,
          action: s.action,
          topic: s.topic,
          source: s.file,
          ...(s.groupId ? { groupId: s.groupId.replace('<service>', name) } : {}),
        });
      }
    }
  }
  return facts;
}

interface AvroNamed {
  name?: string;
  doc?: string;
}

const pascal = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

const avro = (name: keyof typeof avroSchemas): Record<string, unknown> & AvroNamed =>
  JSON.parse(avroSchemas[name]) as Record<string, unknown> & AvroNamed;

/** The AsyncAPI 3 document as an object. */
export function buildAsyncApi(facts: CodeFacts = topicUsage()): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const topicKeys = (Object.keys(Topics) as TopicKey[]).sort((a, b) => Topics[a].localeCompare(Topics[b]));
  for (const key of topicKeys) {
    const topic = Topics[key];
    const contract = topicContracts[topic];
    const value = avro(contract.valueSchema);
    const keySchema = avro(contract.keySchema);
    const messageId = pascal(topic);
    const signedBy = facts.signed.filter((s) => s.topic === topic).map((s) => s.service);
    const uses = facts.uses.filter((u) => u.topic === topic);
    const producers = [...new Set(uses.filter((u) => u.action === 'send').map((u) => u.service))].sort();
    const consumers = [...new Set(uses.filter((u) => u.action === 'receive').map((u) => u.service))].sort();
    messages[messageId] = {
      name: value.name ?? messageId,
      title: `${topic} value`,
      ...(value.doc ? { summary: value.doc } : {}),
      contentType: 'application/vnd.apache.avro',
      headers: {
        $ref: signedBy.length ? '#/components/schemas/SignedHeaders' : '#/components/schemas/Headers',
      },
      payload: { schemaFormat: AVRO_FORMAT, schema: value },
      bindings: {
        kafka: {
          key: keySchemaAsJson(keySchema),
          schemaIdLocation: 'payload',
          schemaIdPayloadEncoding: 'confluent',
          schemaLookupStrategy: 'TopicIdStrategy',
          bindingVersion: KAFKA_BINDING,
        },
      },
    };
    channels[key] = {
      address: topic,
      title: topic,
      description: [
        value.doc ?? '',
        `Key: \`${contract.keySchema}\` (schemas/${contract.keySchema}.avsc), value: \`${contract.valueSchema}\` ` +
          `(schemas/${contract.valueSchema}.avsc), registered under the subjects \`${topic}-key\` and ` +
          `\`${topic}-value\` (TopicNameStrategy) and written in the Confluent wire format.`,
        `Produced by ${producers.join(', ') || 'no service'}; consumed by ${consumers.join(', ') || 'no service'}.` +
          ` A message a consumer cannot decode or refuses goes to \`${dlqTopic(topic)}\` with \`dlq-*\` headers.`,
        signedBy.length
          ? `Records are signed (Ed25519) by ${signedBy.join(', ')}; consumers that act on them verify first ` +
            `(docs/security/signed-messages.md).`
          : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
      messages: { [messageId]: { $ref: `#/components/messages/${messageId}` } },
      bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING } },
    };
    for (const use of uses.sort((a, b) =>
      `${a.service}${a.action}`.localeCompare(`${b.service}${b.action}`),
    )) {
      const id = `${use.service}.${use.action}.${key}`;
      const existing = operations[id] as { 'x-sources': string[] } | undefined;
      if (existing) {
        if (!existing['x-sources'].includes(use.source)) existing['x-sources'].push(use.source);
        continue;
      }
      operations[id] = {
        action: use.action,
        channel: { $ref: `#/channels/${key}` },
        summary: `${use.service} ${use.action === 'send' ? 'produces' : 'consumes'} ${topic}`,
        messages: [{ $ref: `#/channels/${key}/messages/${messageId}` }],
        tags: [{ name: use.service }],
        ...(use.groupId
          ? {
              bindings: {
                kafka: { groupId: { type: 'string', enum: [use.groupId] }, bindingVersion: KAFKA_BINDING },
              },
            }
          : {}),
        'x-sources': [use.source],
      };
    }
  }
  for (const op of Object.values(operations) as { 'x-sources': string[] }[]) op['x-sources'].sort();
  const sortedOps = Object.fromEntries(Object.entries(operations).sort(([a], [b]) => a.localeCompare(b)));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Closeout events',
      version: pkg.version,
      description:
        `Every Kafka topic of Closeout. Generated by tools/codegen/generate-asyncapi.ts from schemas/ (via ` +
        `libs/contracts), the topic list (libs/contracts/src/topics.ts), the header names (libs/kafka) and the ` +
        `services' code (who subscribes and who publishes); do not edit, run \`${REGENERATE}\`.`,
    },
    defaultContentType: 'application/vnd.apache.avro',
    servers: {
      devstack: {
        host: '127.0.0.1:9094',
        protocol: 'kafka',
        description:
          'The devstack broker (SASL/SCRAM, one principal per service: docs/security/kafka.md). Schemas are in ' +
          'the Apicurio registry at its Confluent-compatible API (SCHEMA_REGISTRY_URL).',
        bindings: {
          kafka: {
            schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
            schemaRegistryVendor: 'apicurio',
          },
        },
      },
    },
    channels,
    operations: sortedOps,
    components: {
      messages,
      schemas: { Headers: headersSchema(false), SignedHeaders: headersSchema(true) },
    },
  };
}

/** The key schemas are one-field records of strings: as JSON Schema, which the Kafka binding's `key` takes. */
function keySchemaAsJson(schema: Record<string, unknown> & AvroNamed): Record<string, unknown> {
  const fields = (schema['fields'] as { name: string; type: unknown; doc?: string }[] | undefined) ?? [];
  return {
    type: 'object',
    title: schema.name,
    ...(schema.doc ? { description: `Avro record ${schema.name}: ${schema.doc}` } : {}),
    required: fields.map((f) => f.name),
    properties: Object.fromEntries(
      fields.map((f) => [f.name, { type: f.type === 'string' ? 'string' : 'object' }]),
    ),
    additionalProperties: false,
  };
}

function headersSchema(signed: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    [HeaderNames.correlationId]: {
      type: 'string',
      description: 'One per case, end to end: every message about a case carries the same one.',
    },
    [HeaderNames.causationId]: { type: 'string', description: 'The id of the event that caused this one.' },
    [HeaderNames.idempotencyKey]: {
      type: 'string',
      description: 'Set when the message asks for an effect that must happen once (a writeback, a send).',
    },
    [HeaderNames.traceparent]: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: 'W3C Trace Context of the decision that caused the message; the consumer continues it.',
    },
    [HeaderNames.tracestate]: { type: 'string', description: 'W3C Trace Context vendor state.' },
  };
  const required: string[] = [HeaderNames.correlationId];
  if (signed) {
    properties[SignatureHeaders.signature] = { type: 'string', description: 'base64 Ed25519 signature.' };
    properties[SignatureHeaders.keyId] = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
    properties[SignatureHeaders.signedAt] = { type: 'string', pattern: '^[0-9]+$', description: 'epoch ms' };
    required.push(SignatureHeaders.signature, SignatureHeaders.keyId, SignatureHeaders.signedAt);
  }
  return {
    type: 'object',
    description: signed
      ? 'Kafka record headers (UTF-8), with the record signature (docs/security/signed-messages.md).'
      : 'Kafka record headers (UTF-8).',
    required,
    properties,
  };
}

const header = `# Generated by tools/codegen/generate-asyncapi.ts. Do not edit: run \`${REGENERATE}\`.\n`;

export function renderAsyncApi(facts?: CodeFacts): string {
  return header + stringify(buildAsyncApi(facts), { lineWidth: 0, aliasDuplicateObjects: false });
}

function main(): void {
  const text = renderAsyncApi();
  if (process.argv.includes('--check')) {
    const committed = existsSync(asyncApiPath) ? readFileSync(asyncApiPath, 'utf8') : '';
    if (committed !== text) {
      console.error(
        `${relative(root, asyncApiPath)} is out of date with schemas/, the topic list or the services' code: run \`${REGENERATE}\` and commit it.`,
      );
      process.exitCode = 1;
      return;
    }
    console.log(`${relative(root, asyncApiPath)} is up to date`);
    return;
  }
  mkdirSync(dirname(asyncApiPath), { recursive: true });
  writeFileSync(asyncApiPath, text);
  console.log(`wrote ${relative(root, asyncApiPath)}`);
}

if (require.main === module) main();
