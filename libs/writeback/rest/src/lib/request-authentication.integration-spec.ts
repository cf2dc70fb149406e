import { randomBytes } from 'node:crypto';
import { type INestApplication } from '@nestjs/common';
import { Topics, type AuditEvent, type WritebackRequested, type WritebackResult } from '@closeout/contracts';
import {
  KafkaClient,
  kafkaConnectionFromEnv,
  localRequestSigning,
  positionGroupsAtEnd,
  type RecordSigner,
} from '@closeout/kafka';
import { startRestCore, type RestCore } from '@closeout/simulators/rest-core';
import { WritebackService } from '@closeout/writeback-core/nest';
import { readRaw } from '@closeout/kafka/testing';
import { samplePaymentRequest, sleep, until } from '@closeout/writeback-core/testing';
import {
  closeRestWritebackTestService,
  collectWritebackOutput,
  startRestWritebackTestService,
} from '../test-support/rest-writeback-test-service';

/**
 * Who may ask a writeback service to move money, and what happens to a request nobody serves, end to end: a real
 * writeback service (intake, ledger on the real PostgreSQL, worker, outbox relay) trusting one orchestrator key,
 * its own simulated REST core, requests published on the real `writeback.requested.v1` topic by producers holding
 * that key, another key, no key, or the key over other bytes; the DLQ, results and audit events read back from Kafka.
 */
const run = randomBytes(4).toString('hex');
const seq = Number.parseInt(run, 16);
const destination = `auth-rest-${run}`;
const service = `wb-auth-${run}`;
const schema = `wb_auth_${run}`;
const group = `${service}.writeback-requested`;

describe('writeback.requested authentication and unserved requests (real Kafka, registry, PostgreSQL)', () => {
  let core: RestCore;
  let app: INestApplication;
  let wb: WritebackService;
  const clients: KafkaClient[] = [];
  let results: WritebackResult[] = [];
  let audits: AuditEvent[] = [];
  const orchestrator = localRequestSigning(`orch-${run}`);
  const intruder = localRequestSigning(`intruder-${run}`);

  const request = (n: number, over: Partial<WritebackRequested> = {}): WritebackRequested =>
    samplePaymentRequest(seq + n, {
      destination,
      customerId: `cust-${run}`,
      caseId: `case-${run}-${n}`,
      ...over,
    });

  async function producer(signer?: RecordSigner): Promise<KafkaClient> {
    const env = process.env as Record<string, string>;
    const client = new KafkaClient({
      clientId: `auth-it-${run}-${clients.length}`,
      ...kafkaConnectionFromEnv(env),
      schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
      topics: [Topics.writebackRequested],
      ...(signer ? { signer } : {}),
    });
    await client.start();
    clients.push(client);
    return client;
  }
  const publish = (client: KafkaClient, r: WritebackRequested) =>
    client.publisher.publish(Topics.writebackRequested, { caseId: r.caseId }, r, {
      correlationId: r.correlationId,
      idempotencyKey: r.idempotencyKey,
    });

  /** This service's dead letters of writeback.requested, by idempotency key. */
  async function deadLetters(keys: string[], expected: number) {
    const header = (m: { message: { headers?: Record<string, unknown> } }, name: string) => {
      const v = m.message.headers?.[name];
      return Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : undefined;
    };
    const mine = await readRaw(`${Topics.writebackRequested}.dlq`, {
      filter: (m) =>
        header(m, 'dlq-consumer-group') === group && keys.includes(header(m, 'idempotency-key') ?? ''),
      until: (collected) => collected.length >= expected,
      timeoutMs: 20_000,
    });
    return mine.map((m) => ({
      key: header(m, 'idempotency-key'),
      reasonClass: header(m, 'dlq-reason-class'),
      reason: header(m, 'dlq-reason') ?? '',
    }));
  }

  beforeAll(async () => {
    core = await startRestCore();
    // Only what this test publishes: the shared topic's history is other runs' (signed by other keys).
    await positionGroupsAtEnd(kafkaConnectionFromEnv(process.env as Record<string, string>), [
      { groupId: group, topic: Topics.writebackRequested },
    ]);
    // The orchestrator's public key only, as a deployment gets it.
    ({ app } = await startRestWritebackTestService({
      service,
      schema,
      destination,
      coreUrl: core.url,
      trustedKeys: orchestrator.writebackEnv['WRITEBACK_REQUEST_PUBLIC_KEYS']!,
    }));
    wb = app.get(WritebackService);
    ({ results, audits } = await collectWritebackOutput(app, service, (r) =>
      r.caseId.startsWith(`case-${run}-`),
    ));
  });

  afterAll(async () => {
    for (const client of clients) await client.close();
    await closeRestWritebackTestService(app, schema);
    await core?.close();
  });

  it('posts nothing for an unsigned, a foreign-key or a tampered request: one unauthenticated DLQ record and one audit event each; the signed one is applied', async () => {
    const unsigned = request(1, { correlationId: `corr-${run}-unsigned` });
    const foreign = request(2, { correlationId: `corr-${run}-foreign` });
    const tampered = request(3, { correlationId: `corr-${run}-tampered` });
    const genuine = request(4, { correlationId: `corr-${run}-genuine` });

    await publish(await producer(), unsigned);
    await publish(await producer(intruder.signer), foreign);
    // The orchestrator's signature over other value bytes (one bit of the amount's encoding away): as if a byte of the
    // value had been changed after signing.
    await publish(
      await producer((record) => {
        const value = Buffer.from(record.value);
        value[value.length - 1] = value[value.length - 1]! ^ 0x01;
        return orchestrator.signer({ ...record, value });
      }),
      tampered,
    );
    await publish(await producer(orchestrator.signer), genuine);

    const applied = await until('the signed request APPLIED', () =>
      results.find((r) => r.idempotencyKey === genuine.idempotencyKey && r.status === 'APPLIED'),
    );
    expect(applied.providerRef).toBeTruthy();

    const forged = [unsigned, foreign, tampered];
    const dlq = await deadLetters(
      forged.map((r) => r.idempotencyKey),
      3,
    );
    expect(dlq.map((d) => [d.key, d.reasonClass]).sort()).toEqual(
      forged.map((r) => [r.idempotencyKey, 'unauthenticated']).sort(),
    );
    expect(dlq.find((d) => d.key === unsigned.idempotencyKey)!.reason).toMatch(/not signed/);
    expect(dlq.find((d) => d.key === foreign.idempotencyKey)!.reason).toMatch(/not one of the trusted keys/);
    expect(dlq.find((d) => d.key === tampered.idempotencyKey)!.reason).toMatch(/does not match/);

    for (const r of forged) {
      const audit = await until(`the audit event of ${r.correlationId}`, () =>
        audits.find((a) => a.correlationId === r.correlationId),
      );
      expect(audit).toMatchObject({
        action: 'writeback.request_unauthenticated',
        outcome: 'DENIED',
        caseId: null,
      });
      // Nothing the record says is quoted: no payload, no idempotency key.
      expect(JSON.stringify(audit)).not.toContain(r.idempotencyKey);
      expect(await wb.ledger.findByKey(destination, r.idempotencyKey)).toBeNull();
    }
    await sleep(1_000);
    // One call at the core in all: the signed request's.
    expect(core.stats().writes).toBe(1);
    expect(core.journal().map((e) => e.idempotencyKey)).toEqual([genuine.idempotencyKey]);
    expect(results.filter((r) => forged.some((f) => f.idempotencyKey === r.idempotencyKey))).toEqual([]);
    expect(audits.filter((a) => a.action === 'writeback.request_unauthenticated')).toHaveLength(3);
    const refused = (await wb.metrics.unauthenticated.get()).values;
    expect(Object.fromEntries(refused.map((v) => [v.labels['refusal'], v.value]))).toEqual({
      'missing-signature': 1,
      'unknown-key': 1,
      'bad-signature': 1,
    });
  });

  it('a signed request for a destination no deployment serves, or labelled with the wrong protocol, is dead-lettered once (unserved), audited once and answered FAILED_PERMANENT', async () => {
    const nobody = request(10, { destination: `nobody-serves-${run}`, correlationId: `corr-${run}-nobody` });
    // A SOAP destination's request labelled REST: the REST service is the one whose protocol it names.
    const mislabelled = request(11, {
      destination: 'core-banking-soap',
      correlationId: `corr-${run}-mislabelled`,
    });
    const signed = await producer(orchestrator.signer);
    await publish(signed, nobody);
    await publish(signed, mislabelled);

    const unserved = [nobody, mislabelled];
    for (const r of unserved) {
      const result = await until(`the FAILED_PERMANENT answer to ${r.destination}`, () =>
        results.find((x) => x.idempotencyKey === r.idempotencyKey),
      );
      expect(result).toMatchObject({ status: 'FAILED_PERMANENT', errorClass: 'VALIDATION', attempts: 0 });
      expect(result.errorMessage).toContain(
        `unserved: no REST writeback deployment serves destination ${r.destination}`,
      );
      const audit = await until(`the audit event of ${r.destination}`, () =>
        audits.find((a) => a.correlationId === r.correlationId),
      );
      expect(audit).toMatchObject({ action: 'writeback.unserved', outcome: 'DENIED' });
      expect(audit.references['destination']).toBe(r.destination);
    }
    const dlq = await deadLetters(
      unserved.map((r) => r.idempotencyKey),
      2,
    );
    await sleep(1_000);
    expect(dlq.map((d) => [d.key, d.reasonClass]).sort()).toEqual(
      unserved.map((r) => [r.idempotencyKey, 'unserved']).sort(),
    );
    for (const r of unserved) {
      expect(audits.filter((a) => a.correlationId === r.correlationId)).toHaveLength(1);
      expect(results.filter((x) => x.idempotencyKey === r.idempotencyKey)).toHaveLength(1);
    }
    expect(core.journal().filter((e) => unserved.some((r) => r.idempotencyKey === e.idempotencyKey))).toEqual(
      [],
    );
    expect((await wb.metrics.unserved.get()).values[0]?.value).toBe(2);
  });
});
