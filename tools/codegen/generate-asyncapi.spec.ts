import { readFileSync } from 'node:fs';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Topics, topicContracts } from '@closeout/contracts';
import { HeaderNames } from '@closeout/kafka';
import { REGENERATE, asyncApiPath, renderAsyncApi, topicUsage, type CodeFacts } from './generate-asyncapi';

describe('docs/api/asyncapi.yaml', () => {
  let facts: CodeFacts;
  let generated: string;

  beforeAll(() => {
    facts = topicUsage();
    generated = renderAsyncApi(facts);
  }, 180_000);

  it(`is what the schemas, the topic list and the services' code say (else run \`${REGENERATE}\`)`, () => {
    const committed = readFileSync(asyncApiPath, 'utf8');
    if (committed !== generated) {
      throw new Error(
        `docs/api/asyncapi.yaml has drifted from schemas/, libs/contracts or the services' code: run \`${REGENERATE}\` and commit the result`,
      );
    }
  });

  it('is a valid AsyncAPI 3 document, Avro payloads included', async () => {
    const parser = new Parser();
    parser.registerSchemaParser(AvroSchemaParser());
    const { document, diagnostics } = await parser.parse(generated);
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const channels = document!.channels().all();
    // One channel per topic, addressed by its name, carrying the topic's value schema.
    expect(channels.map((c) => c.address()).sort()).toEqual(Object.values(Topics).sort());
    const triggered = channels.find((c) => c.address() === Topics.caseTriggered)!;
    const message = triggered.messages().all()[0]!;
    expect(message.schemaFormat()).toBe('application/vnd.apache.avro;version=1.9.0');
    expect(message.payload()?.properties()?.['caseId']).toBeDefined();
    expect(Object.keys(message.headers()?.properties() ?? {})).toEqual(
      expect.arrayContaining([HeaderNames.correlationId, HeaderNames.traceparent]),
    );
  }, 60_000);

  it("reads producers and consumers from the services' code", () => {
    const who = (topic: string, action: 'send' | 'receive'): string[] =>
      [
        ...new Set(facts.uses.filter((u) => u.topic === topic && u.action === action).map((u) => u.service)),
      ].sort();
    // The rows that matter most in docs/security/kafka.md: one writer each.
    expect(who(Topics.writebackRequested, 'send')).toEqual(['orchestrator']);
    expect(who(Topics.writebackCommand, 'send')).toEqual(['reconciler']);
    expect(who(Topics.customerContact, 'send')).toEqual(['trigger-ingest']);
    expect(who(Topics.customerContact, 'receive')).toEqual(['messaging']);
    expect(who(Topics.customerFacts, 'receive')).toEqual(['mini-app-backend']);
    expect(who(Topics.writebackRequested, 'receive')).toEqual([
      'reconciler',
      'writeback-rest',
      'writeback-sftp',
      'writeback-soap',
    ]);
    // Given an audit emitter by the core module, the audit-exporter never calls it: it only reads the topic.
    expect(who(Topics.auditEvent, 'send')).not.toContain('audit-exporter');
    expect(who(Topics.auditEvent, 'receive')).toEqual(['audit-exporter']);
    // Every topic has a producer and a consumer; the orchestrator signs writeback requests.
    for (const topic of Object.keys(topicContracts)) {
      expect([topic, who(topic, 'send').length > 0]).toEqual([topic, true]);
      expect([topic, who(topic, 'receive').length > 0]).toEqual([topic, true]);
    }
    expect(facts.signed).toContainEqual({ service: 'orchestrator', topic: Topics.writebackRequested });
    expect(facts.uses).toContainEqual(
      expect.objectContaining({
        service: 'orchestrator',
        topic: Topics.caseTriggered,
        action: 'receive',
        groupId: 'orchestrator.case-triggered',
      }),
    );
  });
});
