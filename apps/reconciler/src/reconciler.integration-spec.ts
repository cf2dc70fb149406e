import { randomBytes, randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClientAsync } from 'soap';
import { DataSource } from 'typeorm';
import { loadConfig } from '@closeout/config';
import {
  Topics,
  type AuditEvent,
  type CaseState,
  type Protocol,
  type WritebackCommand,
  type WritebackRequested,
  type WritebackResult,
} from '@closeout/contracts';
import {
  EventPublisher,
  EventSubscriber,
  kafkaConnectionFromEnv,
  localRequestSigning,
  positionGroupsAtEnd,
} from '@closeout/kafka';
import { configureHttp } from '@closeout/platform';
import { startRestCore, type RestCore } from '@closeout/simulators/rest-core';
import { buildPaymentsBatch, startSftpCore, type SftpCore } from '@closeout/simulators/sftp-core';
import { CORE_BANKING_NAMESPACE, startSoapCore, type SoapCore } from '@closeout/simulators/soap-core';
import { WritebackService } from '@closeout/writeback-core/nest';
import { freePort, samplePaymentRequest, sleep, until } from '@closeout/writeback-core/testing';
import { startRestWritebackTestService } from '@closeout/writeback-adapter-rest/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

/**
 * The reconciler against the real devstack (Kafka, registry, PostgreSQL, sshd), the three simulated cores (REST
 * list endpoint, SOAP ListTransactions, SFTP daily report read over sshd) and the real writeback core
 * (WritebackServiceModule, REST) answering its commands. Fresh schemas, destinations and keys per run, and the
 * reconciler scoped to this run's destinations, so reruns and other engineers' traffic on the shared topics never
 * meet.
 */
const run = randomBytes(4).toString('hex');
const seq = Number.parseInt(run, 16);
const rest = `rest-${run}`;
const soap = `soap-${run}`;
const sftp = `sftp-${run}`;
const unserved = `unserved-${run}`;
const sloDestination = `slo-${run}`;
const unknownDestination = `unk-${run}`;

const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run through the integration Jest project (its global setup sets it)`,
    );
  return value;
};

type Break = {
  id: string;
  kind: string;
  destination: string;
  protocol: Protocol | null;
  idempotencyKey: string | null;
  status: string;
  caseId: string | null;
  context: Record<string, unknown>;
  followUpCommand: string | null;
};

describe('reconciler (real Kafka, registry, PostgreSQL, sshd; simulated REST, SOAP and SFTP cores)', () => {
  let restCore: RestCore;
  let soapCore: SoapCore;
  let sftpCore: SftpCore;
  let reconciler: INestApplication;
  let writeback: INestApplication | undefined;
  let url: string;
  const commands: WritebackCommand[] = [];
  /** This reconciler's audit events as they reached audit.event.v1 (published by its outbox relay). */
  const audits: AuditEvent[] = [];
  const auditsOf = (correlationId: string) => audits.filter((a) => a.correlationId === correlationId);
  /** This reconciler's outbox rows of audit events about an alert (by its key) or a break (by its id), in order. */
  const outboxAudits = async (about: { alertKey: string } | { breakId: string }): Promise<string[]> =>
    (
      (await reconciler.get(DataSource).query(
        `SELECT value ->> 'action' AS action FROM "reconciler_${run}".outbox
           WHERE topic = $1 AND value -> 'references' ->> $2 = $3 ORDER BY id`,
        [
          Topics.auditEvent,
          ...('alertKey' in about ? ['alertKey', about.alertKey] : ['breakId', about.breakId]),
        ],
      )) as Array<{ action: string }>
    ).map((r) => r.action);
  let publisher: EventPublisher;

  const operatorToken = `it-operator-${run}-0123456789`;
  const auth = { authorization: `Bearer ${operatorToken}` };
  const post = async (path: string) =>
    (await fetch(`${url}${path}`, { method: 'POST', headers: auth })).json() as Promise<
      Record<string, unknown>
    >;
  const get = async <T>(path: string) =>
    (await (await fetch(`${url}${path}`, { headers: auth })).json()) as T;
  const breaksFor = async (key: string) =>
    (await get<{ data: Break[] }>('/v1/breaks?status=all')).data.filter(
      (b) => b.idempotencyKey === key || b.caseId === key,
    );
  const openBreak = (key: string, kind: string) =>
    until(`${kind} for ${key}`, async () => {
      await post('/v1/reconcile');
      return (await breaksFor(key)).find((b) => b.kind === kind && b.status === 'OPEN');
    });
  const resolvedBreak = (key: string, id: string) =>
    until(`break ${id} resolved`, async () => {
      await post('/v1/reconcile');
      const b = (await breaksFor(key)).find((x) => x.id === id);
      return b?.status === 'RESOLVED' ? b : undefined;
    });
  const commandFor = (breakId: string, command: string) =>
    until(`${command} for break ${breakId}`, () =>
      Promise.resolve(commands.find((c) => c.breakId === breakId && c.command === command)),
    );
  /** A command the reconciler sends on a later pass (a follow-up), running passes until it is seen. */
  const followUpFor = (breakId: string, command: string) =>
    until(`follow-up ${command} for break ${breakId}`, async () => {
      await post('/v1/reconcile');
      return commands.find((c) => c.breakId === breakId && c.command === command);
    });
  /** A posting made straight into the REST core under `key`: what the core holds whatever we were told. */
  const postIntoRestCore = async (key: string, valueMinor: number): Promise<string> => {
    const res = await fetch(`${restCore.url}/api/payments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Api-Version': '2024-06-01', 'Idempotency-Key': key },
      body: JSON.stringify({
        account_number: '4000123456',
        amount: { value_minor: valueMinor, currency: 'GBP' },
        payment_token: 'pm_tok_x',
        external_reference: key,
      }),
    });
    expect(res.status).toBe(201);
    return restCore.journal().find((e) => e.idempotencyKey === key)!.transactionId;
  };

  const result = (over: Partial<WritebackResult>): WritebackResult => ({
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: `corr-${run}`,
    causationId: null,
    idempotencyKey: `k-${randomUUID()}`,
    destination: rest,
    protocol: 'REST',
    operation: 'payment.post',
    caseId: `case-${randomUUID()}`,
    workflowId: `wf-${run}`,
    status: 'APPLIED',
    providerRef: null,
    errorClass: null,
    errorMessage: null,
    attempts: 1,
    latencyMs: 10,
    contractVersion: '1',
    mappingVersion: '1',
    duplicate: false,
    destinationDegraded: false,
    ...over,
  });
  const publishResult = (r: WritebackResult) =>
    publisher.publish(Topics.writebackResult, { caseId: r.caseId }, r, {
      correlationId: r.correlationId,
      idempotencyKey: r.idempotencyKey,
    });
  // Requests come signed, as the orchestrator's do: the writeback service's module holds the signer.
  const publishRequest = (r: WritebackRequested) =>
    writeback!.get(EventPublisher).publish(Topics.writebackRequested, { caseId: r.caseId }, r, {
      correlationId: r.correlationId,
      idempotencyKey: r.idempotencyKey,
    });
  const request = (n: number, over: Partial<WritebackRequested> = {}) =>
    samplePaymentRequest(seq + n, {
      destination: rest,
      customerId: `cust-${run}`,
      caseId: `case-${run}-${n}`,
      ...over,
    });
  const writebackService = () => writeback!.get(WritebackService);

  const signing = localRequestSigning(`reconciler-it-${run}`);

  async function startWriteback(): Promise<void> {
    // The service's own resolver waits 10 minutes: in this test only the reconciler's RESOLVE can settle it.
    ({ app: writeback } = await startRestWritebackTestService({
      service: `wb-${run}`,
      schema: `wb_${run}`,
      destination: rest,
      coreUrl: restCore.url,
      requestMs: 400,
      // The simulated core's lookups read its own journal: no lag to wait out.
      policy: { unknownResolveDelayMs: 600_000, lookupVisibilityMs: 0 },
      trustedKeys: signing.writebackEnv['WRITEBACK_REQUEST_PUBLIC_KEYS']!,
      signer: signing.signer,
    }));
  }

  beforeAll(async () => {
    restCore = await startRestCore();
    soapCore = await startSoapCore();
    sftpCore = await startSftpCore({ root: env('SFTP_ROOT'), destinations: [sftp], pollIntervalMs: 50 });
    const port = await freePort();
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: `reconciler-${run}`,
      HTTP_PORT: String(port),
      RECONCILER_DB_SCHEMA: `reconciler_${run}`,
      RECONCILER_DESTINATIONS: [rest, soap, sftp, unserved, sloDestination, unknownDestination].join(','),
      RECONCILER_INTERVAL: '0',
      RECONCILER_API_TOKENS: `operator=${operatorToken}`,
      RECONCILER_RESULT_WINDOW: '2s',
      RECONCILER_UNKNOWN_TTL: '2s',
      RECONCILER_GRACE: '1s',
      RECONCILER_EXTRACTS: JSON.stringify([
        { protocol: 'REST', destination: rest, baseUrl: restCore.url, token: 'test-token-0123456789' },
        {
          protocol: 'SOAP',
          destination: soap,
          wsdlUrl: soapCore.wsdlUrl,
          healthUrl: `${soapCore.baseUrl}/health`,
        },
        {
          protocol: 'SFTP',
          destination: sftp,
          host: env('SFTP_HOST'),
          port: Number(env('SFTP_PORT')),
          username: env('SFTP_USERNAME'),
          privateKeyPath: env('SFTP_PRIVATE_KEY_PATH'),
          hostPublicKeyPath: env('SFTP_HOST_PUBLIC_KEY_PATH'),
          remoteDir: `${process.env['SFTP_REMOTE_ROOT'] ?? env('SFTP_ROOT')}/${sftp}`,
        },
      ]),
    });
    // A production reconciler reads the topics from the beginning on its first start; this one starts at their
    // current end, so a devstack with a long history does not keep it busy with traffic that is not this test's.
    await positionGroupsAtEnd(kafkaConnectionFromEnv(process.env), [
      { groupId: `reconciler-${run}.writeback-requested`, topic: Topics.writebackRequested },
      { groupId: `reconciler-${run}.writeback-result`, topic: Topics.writebackResult },
      { groupId: `reconciler-${run}.case-state`, topic: Topics.caseState },
      // And the writeback service's, for the same reason: a backlog of other runs' requests would hold up this one's.
      { groupId: `wb-${run}.writeback-requested`, topic: Topics.writebackRequested },
      { groupId: `wb-${run}.writeback-command`, topic: Topics.writebackCommand },
    ]);
    reconciler = await NestFactory.create(AppModule.register(config), { logger: false, bodyParser: false });
    // The HTTP layer the service boots with: /v1 behind the operators' bearer tokens.
    configureHttp(reconciler, { tokens: config.RECONCILER_API_TOKENS, protectedPrefixes: ['/v1'] });
    await reconciler.listen(port, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
    publisher = reconciler.get(EventPublisher);
    const sub = await reconciler.get(EventSubscriber).subscribe({
      groupId: `reader-${run}`,
      topic: Topics.writebackCommand,
      fromBeginning: false,
      consumer: {
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1_000,
        rebalanceTimeoutMs: 10_000,
        maxWaitTimeMs: 100,
      },
      handler: ({ value }) => {
        commands.push(value);
        return Promise.resolve();
      },
    });
    await sub.whenPositioned();
    const auditSub = await reconciler.get(EventSubscriber).subscribe({
      groupId: `audit-reader-${run}`,
      topic: Topics.auditEvent,
      fromBeginning: false,
      consumer: {
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1_000,
        rebalanceTimeoutMs: 10_000,
        maxWaitTimeMs: 100,
      },
      handler: ({ value }) => {
        if (value.service === `reconciler-${run}`) audits.push(value);
        return Promise.resolve();
      },
    });
    await auditSub.whenPositioned();
    await startWriteback();
  });

  afterAll(async () => {
    await writeback?.close();
    const db = reconciler?.get(DataSource);
    await db?.query(`DROP SCHEMA IF EXISTS "reconciler_${run}" CASCADE`);
    await db?.query(`DROP SCHEMA IF EXISTS "wb_${run}" CASCADE`);
    await reconciler?.close();
    await Promise.all([restCore?.close(), soapCore?.close(), sftpCore?.close()]);
    rmSync(join(env('SFTP_ROOT'), sftp), { recursive: true, force: true });
  });

  it('the API answers operators with a token only: no pass, break or SLO for anyone else', async () => {
    for (const [method, path] of [
      ['POST', '/v1/reconcile'],
      ['GET', '/v1/breaks'],
      ['GET', '/v1/slo'],
      ['GET', '/v1/alerts'],
    ] as const) {
      const anonymous = await fetch(`${url}${path}`, { method });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
      const forged = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: 'Bearer not-a-token-of-ours-0000' },
      });
      expect(forged.status).toBe(401);
    }
    const bad = await fetch(`${url}/v1/breaks?destination=%00`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/destination/);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('UNKNOWN_PAST_TTL: found, RESOLVE sent, the writeback core looks up, publishes APPLIED and the break clears', async () => {
    const r = request(1);
    restCore.addFaults({
      mode: 'commit_then_timeout',
      count: 1,
      match: { idempotencyKey: r.idempotencyKey },
    });
    await publishRequest(r);
    const found = await openBreak(r.idempotencyKey, 'UNKNOWN_PAST_TTL');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      caseId: r.caseId,
      context: { ttlMs: 2000 },
    });
    const resolve = await commandFor(found.id, 'RESOLVE');
    expect(resolve).toMatchObject({ idempotencyKey: r.idempotencyKey, destination: rest, caseId: r.caseId });
    await resolvedBreak(r.idempotencyKey, found.id);

    const row = await writebackService().ledger.findByKey(rest, r.idempotencyKey);
    expect(row).toMatchObject({ status: 'APPLIED' });
    const attempts = await writebackService().ledger.listAttempts(row!.id);
    expect(attempts.map((a) => [a.kind, a.outcome])).toEqual([
      ['send', 'UNKNOWN'],
      ['resolve', 'APPLIED'],
    ]);
    expect(attempts[1]!.providerCode).toBe('found');
    // Posted once, and the REST extract found it: no APPLIED_MISSING_IN_CORE after it settled.
    expect(restCore.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toHaveLength(1);
    await post('/v1/reconcile');
    // On a loaded machine the first result may take longer than the 2 s result window, which opens (and, once the
    // result arrives, resolves) a REQUESTED_NO_RESULT too; what matters is that nothing is left open or missing.
    const breaks = (await breaksFor(r.idempotencyKey)).map((b) => [b.kind, b.status]);
    expect(breaks).toContainEqual(['UNKNOWN_PAST_TTL', 'RESOLVED']);
    expect(
      breaks.filter(([kind, status]) => status === 'OPEN' || kind === 'APPLIED_MISSING_IN_CORE'),
    ).toEqual([]);
  });

  it('REQUESTED_NO_RESULT: a throttled request is found, RESOLVE makes the writeback core look up first, and it clears', async () => {
    const r = request(2);
    // 429 with a long Retry-After: the row waits FAILED_RETRYABLE, and retries publish no writeback.result.
    restCore.addFaults({
      mode: 'rate_limited',
      retryAfterSeconds: 6,
      count: 1,
      match: { idempotencyKey: r.idempotencyKey },
    });
    await publishRequest(r);
    const found = await openBreak(r.idempotencyKey, 'REQUESTED_NO_RESULT');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      caseId: r.caseId,
      context: { windowMs: 2000 },
    });
    await commandFor(found.id, 'RESOLVE');
    await resolvedBreak(r.idempotencyKey, found.id);

    const row = await writebackService().ledger.findByKey(rest, r.idempotencyKey);
    const attempts = await writebackService().ledger.listAttempts(row!.id);
    expect(row).toMatchObject({ status: 'APPLIED' });
    // The lookup came before the re-send, and neither came before the destination's Retry-After.
    const steps = attempts.map((a) => [a.kind, a.outcome]);
    expect(steps[0]).toEqual(['send', 'FAILED_RETRYABLE']);
    expect(steps.slice(-2)).toEqual([
      ['resolve', 'FAILED_RETRYABLE'],
      ['send', 'APPLIED'],
    ]);
    // A "not found" before the destination's visibility bound is not final: such lookups keep the row UNKNOWN.
    expect(
      steps.slice(1, -2).filter(([kind, outcome]) => kind !== 'resolve' || outcome !== 'UNKNOWN'),
    ).toEqual([]);
    expect(attempts[0]!.errorClass).toBe('RATE_LIMITED');
    expect(attempts.at(-2)!.providerCode).toBe('not_found');
    expect(attempts[1]!.startedAt.getTime() - attempts[0]!.finishedAt.getTime()).toBeGreaterThanOrEqual(
      5_900,
    );
    expect(
      restCore.stats().retryAfterViolations.events.filter((v) => v.idempotencyKey === r.idempotencyKey),
    ).toEqual([]);
    expect(restCore.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toHaveLength(1);
  });

  // A protocol whose service is down answers nothing (a REST request for a destination no REST deployment serves is
  // answered FAILED_PERMANENT by the REST service itself, dead-lettered and audited: see the writeback intake).
  it('REQUESTED_NO_RESULT: a request nobody answers (its protocol has no running service) gets a RESOLVE addressed to its owner', async () => {
    const r = request(3, { destination: unserved, protocol: 'SOAP' });
    await publishRequest(r);
    const found = await openBreak(r.idempotencyKey, 'REQUESTED_NO_RESULT');
    const command = await commandFor(found.id, 'RESOLVE');
    expect(command).toMatchObject({
      destination: unserved,
      protocol: 'SOAP',
      caseId: r.caseId,
      issuedBy: 'reconciler',
    });
  });

  it('APPLIED_MISSING_IN_CORE: APPLIED per the results but absent from the core is flagged with the case', async () => {
    const r = result({ providerRef: 'pay_missing', caseId: `case-am-${run}` });
    await publishResult(r);
    const found = await openBreak(r.idempotencyKey, 'APPLIED_MISSING_IN_CORE');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      caseId: r.caseId,
      context: { providerRef: 'pay_missing' },
    });
    const flag = await commandFor(found.id, 'FLAG');
    expect(flag).toMatchObject({
      caseId: r.caseId,
      breakId: found.id,
      idempotencyKey: r.idempotencyKey,
      protocol: 'REST',
    });
    expect(flag.reason).toMatch(
      /^APPLIED_MISSING_IN_CORE \(break \d+\): writeback\.result says APPLIED .* no posting for the key/,
    );
    // The break's audit event was written with the break, through the outbox, and published once.
    expect(await outboxAudits({ breakId: found.id })).toEqual(['reconciler.break_detected']);
    const detected = await until('the break_detected audit event', () =>
      Promise.resolve(audits.find((a) => a.references['breakId'] === found.id)),
    );
    expect(detected).toMatchObject({
      action: 'reconciler.break_detected',
      caseId: r.caseId,
      outcome: 'FAILURE',
      references: {
        breakId: found.id,
        kind: 'APPLIED_MISSING_IN_CORE',
        destination: rest,
        idempotencyKey: r.idempotencyKey,
      },
    });
  });

  it('IN_CORE_NOT_REQUESTED over the REST list endpoint: a posting made straight into the core is flagged', async () => {
    const key = `stranger-${randomUUID()}`;
    const res = await fetch(`${restCore.url}/api/payments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Api-Version': '2024-06-01', 'Idempotency-Key': key },
      body: JSON.stringify({
        account_number: '4000123456',
        amount: { value_minor: 777, currency: 'GBP' },
        payment_token: 'pm_tok_x',
        external_reference: 'manual',
      }),
    });
    expect(res.status).toBe(201);
    const found = await openBreak(key, 'IN_CORE_NOT_REQUESTED');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      context: { amountMinor: 777, currency: 'GBP' },
    });
    const flag = await commandFor(found.id, 'FLAG');
    // Nobody requested it, so no case: the break stands in for one (case-scoped topics are never keyed null).
    expect(flag).toMatchObject({
      caseId: `break:${found.id}`,
      breakId: found.id,
      protocol: 'REST',
      destination: rest,
    });
  });

  /** Waits until the reconciler counts `n` APPLIED writebacks for the workflow: proof their results were read. */
  const appliedSeen = (workflowId: string, destination: string, n: number) =>
    until(`${n} applied on ${destination}`, async () => {
      const slo = await get<{
        windows: Array<{ writebacks: Array<{ workflowId: string; destination: string; applied: number }> }>;
      }>('/v1/slo');
      const f = slo.windows[0]!.writebacks.find(
        (w) => w.workflowId === workflowId && w.destination === destination,
      );
      return f?.applied === n ? true : undefined;
    });

  it('IN_CORE_NOT_REQUESTED over SOAP ListTransactions: the stranger is flagged as SOAP, the requested posting matches', async () => {
    const client = await createClientAsync(soapCore.wsdlUrl, { disableCache: true });
    const postPayment = async (key: string, minor: number): Promise<string> => {
      client.clearSoapHeaders();
      client.addSoapHeader(
        `<cb:RequestContext xmlns:cb="${CORE_BANKING_NAMESPACE}"><cb:ClientCorrelationId>${key}</cb:ClientCorrelationId><cb:IdempotencyKey>${key}</cb:IdempotencyKey></cb:RequestContext>`,
      );
      const [answer] = (await client['PostPaymentAsync']({
        AccountNumber: '4000123456',
        Amount: { MinorUnits: minor, CurrencyCode: 'EUR' },
        PaymentToken: 'pm_tok_soap',
        ExternalReference: key,
      })) as [{ TransactionRef: string }];
      return answer.TransactionRef;
    };
    const [matched, stranger] = [`soap-ok-${run}`, `soap-stranger-${run}`];
    const matchedRef = await postPayment(matched, 1200);
    const strangerRef = await postPayment(stranger, 3400);
    const workflowId = `wf-soap-${run}`;
    await publishResult(
      result({
        destination: soap,
        protocol: 'SOAP',
        idempotencyKey: matched,
        providerRef: matchedRef,
        workflowId,
      }),
    );

    const found = await openBreak(stranger, 'IN_CORE_NOT_REQUESTED');
    expect(found).toMatchObject({
      destination: soap,
      protocol: 'SOAP',
      context: { providerRef: strangerRef, amountMinor: 3400, currency: 'EUR' },
    });
    expect(await commandFor(found.id, 'FLAG')).toMatchObject({
      protocol: 'SOAP',
      destination: soap,
      idempotencyKey: stranger,
    });
    await appliedSeen(workflowId, soap, 1);
    await sleep(1_100); // past the grace, so the matched APPLIED is judged against the extract
    await post('/v1/reconcile');
    expect(await breaksFor(matched)).toEqual([]);
  });

  it('IN_CORE_NOT_REQUESTED over the SFTP daily report (via sshd): the stranger is flagged as SFTP, the requested one matches', async () => {
    const [matched, stranger] = [`sftp-ok-${run}`, `sftp-stranger-${run}`];
    const batchId = `B-${run}`;
    const { csv, manifest } = buildPaymentsBatch(batchId, [
      {
        idempotencyKey: matched,
        accountNumber: '4000123456',
        amountMinor: '500',
        currency: 'GBP',
        reference: 'ok',
      },
      {
        idempotencyKey: stranger,
        accountNumber: '4000123456',
        amountMinor: '900',
        currency: 'GBP',
        reference: 'manual',
      },
    ]);
    const inbound = join(env('SFTP_ROOT'), sftp, 'inbound');
    writeFileSync(join(inbound, `${batchId}.csv.part`), csv);
    renameSync(join(inbound, `${batchId}.csv.part`), join(inbound, `${batchId}.csv`));
    writeFileSync(join(inbound, `${batchId}.manifest.json`), JSON.stringify(manifest));
    await sftpCore.scanNow();
    const posted = sftpCore.journal().filter((e) => e.destination === sftp);
    expect(posted.map((e) => e.idempotencyKey)).toEqual([matched, stranger]);
    const workflowId = `wf-sftp-${run}`;
    await publishResult(
      result({
        destination: sftp,
        protocol: 'SFTP',
        idempotencyKey: matched,
        providerRef: posted[0]!.providerRef,
        workflowId,
      }),
    );

    const found = await openBreak(stranger, 'IN_CORE_NOT_REQUESTED');
    expect(found).toMatchObject({
      destination: sftp,
      protocol: 'SFTP',
      context: { providerRef: posted[1]!.providerRef, amountMinor: 900 },
    });
    expect(await commandFor(found.id, 'FLAG')).toMatchObject({
      protocol: 'SFTP',
      destination: sftp,
      idempotencyKey: stranger,
    });
    await appliedSeen(workflowId, sftp, 1);
    await sleep(1_100);
    await post('/v1/reconcile');
    expect(await breaksFor(matched)).toEqual([]);
  });

  it('COMPLETED_WITHOUT_WRITEBACKS: a case completed with a required writeback not applied is flagged to its case', async () => {
    const caseId = `case-cw-${run}`;
    const missing = `cw-${run}`;
    await publishResult(
      result({ caseId, idempotencyKey: missing, status: 'FAILED_PERMANENT', errorClass: 'VALIDATION' }),
    );
    const state: CaseState = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: `corr-${caseId}`,
      causationId: null,
      caseId,
      workflowId: `wf-${run}`,
      definitionVersion: '1',
      state: 'COMPLETED',
      previousState: 'AWAITING_WRITEBACK',
      reason: 'all writebacks applied',
      requiredWritebacks: [missing],
      appliedWritebacks: [missing],
    };
    await publisher.publish(Topics.caseState, { caseId }, state, { correlationId: state.correlationId });
    const found = await openBreak(caseId, 'COMPLETED_WITHOUT_WRITEBACKS');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      idempotencyKey: missing,
      context: { missing: [missing] },
    });
    const flag = await commandFor(found.id, 'FLAG');
    expect(flag).toMatchObject({ caseId, breakId: found.id, correlationId: `corr-${caseId}` });
    expect(flag.reason).toContain(
      `case ${caseId} completed but 1 of 1 required writeback(s) are not applied`,
    );
  });

  it('FAILED_BUT_POSTED: a failure the REST core shows posted gets RESOLVE to its owner, a FLAG when the owner cannot settle it, and clears once settled', async () => {
    const key = `ff-${run}`;
    const caseId = `case-ff-${run}`;
    const providerRef = await postIntoRestCore(key, 4200);
    await publishResult(
      result({
        idempotencyKey: key,
        caseId,
        status: 'FAILED_PERMANENT',
        errorClass: 'VALIDATION',
        errorMessage: '422 validation_failed',
      }),
    );
    const found = await openBreak(key, 'FAILED_BUT_POSTED');
    expect(found).toMatchObject({
      destination: rest,
      protocol: 'REST',
      caseId,
      context: {
        ours: { status: 'FAILED_PERMANENT', errorClass: 'VALIDATION' },
        core: { providerRef, amountMinor: 4200, currency: 'GBP' },
      },
    });
    // First the owner is asked to settle it from the destination's own answer.
    expect(await commandFor(found.id, 'RESOLVE')).toMatchObject({
      idempotencyKey: key,
      destination: rest,
      protocol: 'REST',
      caseId,
    });
    // The owner here never admitted the key, so nothing settles it: past the grace a human gets it, with the warning.
    const flag = await followUpFor(found.id, 'FLAG');
    expect(flag).toMatchObject({ caseId, idempotencyKey: key, breakId: found.id });
    expect(flag.reason).toMatch(
      new RegExp(`^FAILED_BUT_POSTED \\(break \\d+\\): .*lists posting ${providerRef} .*do not retry it`),
    );
    expect((await breaksFor(key)).find((b) => b.id === found.id)).toMatchObject({ followUpCommand: 'FLAG' });
    for (let i = 0; i < 2; i += 1) await post('/v1/reconcile');
    expect(commands.filter((c) => c.breakId === found.id).map((c) => c.command)).toEqual(['RESOLVE', 'FLAG']);

    // What the owner publishes once the destination confirms the posting: the break no longer holds.
    await publishResult(result({ idempotencyKey: key, caseId, status: 'APPLIED', providerRef }));
    await resolvedBreak(key, found.id);
  });

  it('SHARED_PROVIDER_REF: two writebacks answered with one reference are both flagged, each naming the other', async () => {
    const [mine, other] = [`shared-a-${run}`, `shared-b-${run}`];
    const providerRef = await postIntoRestCore(mine, 1500);
    // A proxy mixed up answers: the second writeback was told the first one's reference and never reached the core.
    await publishResult(result({ idempotencyKey: mine, caseId: `case-sa-${run}`, providerRef }));
    await publishResult(result({ idempotencyKey: other, caseId: `case-sb-${run}`, providerRef }));
    const first = await openBreak(mine, 'SHARED_PROVIDER_REF');
    const second = await openBreak(other, 'SHARED_PROVIDER_REF');
    expect(first).toMatchObject({
      caseId: `case-sa-${run}`,
      context: { providerRef, sharedWith: [other] },
    });
    expect(second).toMatchObject({
      caseId: `case-sb-${run}`,
      protocol: 'REST',
      context: { providerRef, sharedWith: [mine] },
    });
    expect(
      (second.context['keys'] as Array<{ idempotencyKey: string; seenIn: string[] }>).map((k) => [
        k.idempotencyKey,
        k.seenIn,
      ]),
    ).toEqual(
      [mine, other]
        .sort()
        .map((k) => [k, k === mine ? ['extract', 'writeback.result'] : ['writeback.result']]),
    );
    // Each case gets its FLAG, so each lands in its own exception queue entry.
    expect(await commandFor(first.id, 'FLAG')).toMatchObject({
      caseId: `case-sa-${run}`,
      idempotencyKey: mine,
    });
    expect(await commandFor(second.id, 'FLAG')).toMatchObject({
      caseId: `case-sb-${run}`,
      idempotencyKey: other,
    });
    // The reference the second writeback holds is in the core, so only this break shows it was never posted.
    expect((await breaksFor(other)).map((b) => b.kind)).toEqual(['SHARED_PROVIDER_REF']);
  });

  it('POSTED_TWICE over the SFTP daily report: a batch re-ingested after the core crashed is flagged for reversal, one alert, a gauge', async () => {
    const key = `twice-${run}`;
    const batchId = `B2-${run}`;
    sftpCore.addFaults({ mode: 'reingest_after_crash', count: 1, match: { batchId } });
    const { csv, manifest } = buildPaymentsBatch(batchId, [
      {
        idempotencyKey: key,
        accountNumber: '4000123456',
        amountMinor: '650',
        currency: 'GBP',
        reference: 'twice',
      },
    ]);
    const inbound = join(env('SFTP_ROOT'), sftp, 'inbound');
    writeFileSync(join(inbound, `${batchId}.csv.part`), csv);
    renameSync(join(inbound, `${batchId}.csv.part`), join(inbound, `${batchId}.csv`));
    writeFileSync(join(inbound, `${batchId}.manifest.json`), JSON.stringify(manifest));
    const posted = await until('the batch posted twice', async () => {
      await sftpCore.scanNow();
      const entries = sftpCore.journal().filter((e) => e.idempotencyKey === key);
      return entries.length === 2 ? entries : undefined;
    });
    const [kept, duplicate] = posted.map((e) => e.providerRef);
    await publishResult(
      result({
        destination: sftp,
        protocol: 'SFTP',
        idempotencyKey: key,
        caseId: `case-tw-${run}`,
        providerRef: kept,
      }),
    );

    const found = await openBreak(key, 'POSTED_TWICE');
    expect(found).toMatchObject({
      destination: sftp,
      protocol: 'SFTP',
      caseId: `case-tw-${run}`,
      context: {
        postings: [{ providerRef: kept }, { providerRef: duplicate }],
        keep: { providerRef: kept, why: 'the posting writeback.result reported' },
        reverse: [{ providerRef: duplicate, amountMinor: 650, currency: 'GBP' }],
        reversal: `reverse ${duplicate} (650 minor units GBP) at ${sftp}; keep ${kept}`,
      },
    });
    const flag = await commandFor(found.id, 'FLAG');
    expect(flag).toMatchObject({ caseId: `case-tw-${run}`, protocol: 'SFTP', destination: sftp });
    expect(flag.reason).toContain(`reverse ${duplicate} (650 minor units GBP) at ${sftp}; keep ${kept}`);

    type Alert = { key: string; status: string; kind: string; context: Record<string, unknown> };
    const alerts = async () =>
      (await get<{ data: Alert[] }>('/v1/alerts?status=all')).data.filter(
        (a) => a.key === `posted-twice:${sftp}`,
      );
    for (let i = 0; i < 3; i += 1) await post('/v1/reconcile');
    expect(await alerts()).toEqual([
      expect.objectContaining({
        status: 'OPEN',
        kind: 'POSTED_TWICE',
        context: expect.objectContaining({
          idempotencyKeys: [key],
          toReverse: [{ currency: 'GBP', amountMinor: 650, postings: 1 }],
        }),
      }),
    ]);
    // Raised once over all those passes, audited with its change through the outbox and published.
    const alertKey = `posted-twice:${sftp}`;
    expect(await outboxAudits({ alertKey })).toEqual(['reconciler.alert_raised']);
    await until('the alert audit event', () =>
      Promise.resolve(auditsOf(`alert:${alertKey}`).length >= 1 ? true : undefined),
    );
    expect(auditsOf(`alert:${alertKey}`).map((a) => a.action)).toEqual(['reconciler.alert_raised']);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`closeout_reconciler_open_breaks{destination="${sftp}",kind="POSTED_TWICE"} 1`);
    expect(metrics).toContain(
      `closeout_reconciler_posted_twice_to_reverse_minor{destination="${sftp}",currency="GBP"} 650`,
    );
  });

  it('SLO figures and an aging unknown are exposed for Prometheus; the reconciler raises no alert on them', async () => {
    const workflowId = `wf-slo-${run}`;
    for (let i = 0; i < 3; i += 1)
      await publishResult(
        result({
          workflowId,
          destination: sloDestination,
          status: 'FAILED_PERMANENT',
          errorClass: 'VALIDATION',
        }),
      );
    for (let i = 0; i < 7; i += 1) await publishResult(result({ workflowId, destination: sloDestination }));
    await publishResult(
      result({ destination: unknownDestination, status: 'UNKNOWN', errorClass: 'AMBIGUOUS' }),
    );
    type Figures = { workflowId: string; destination: string; successRate: number; settled: number };
    const figures = async () =>
      (await get<{ windows: Array<{ window: string; writebacks: Figures[] }> }>('/v1/slo')).windows[0]!
        .writebacks;
    await until('the figures', async () =>
      (await figures()).find((f) => f.workflowId === workflowId)?.settled === 10 ? true : undefined,
    );
    for (let i = 0; i < 3; i += 1) await post('/v1/reconcile');
    expect((await figures()).find((f) => f.workflowId === workflowId)!.successRate).toBeCloseTo(0.7);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `closeout_reconciler_writeback_success_rate\\{workflow="${workflowId}",destination="${sloDestination}",window="1h"\\} 0\\.7`,
      ),
    );
    // 70% is far below 99.5%, and the unknown is older than any threshold: alerting on both is Prometheus's
    // (deploy/prometheus/rules); the reconciler's own alerts are postings made twice only.
    type Alert = { key: string; kind: string };
    const alerts = (await get<{ data: Alert[] }>('/v1/alerts?status=all')).data;
    expect(alerts.filter((a) => a.kind !== 'POSTED_TWICE')).toEqual([]);
  });

  it('the straight-through rate counts every case that reached an end, not only the completed ones', async () => {
    const workflowId = `wf-st-${run}`;
    const state = (caseId: string, to: CaseState['state'], at: number): CaseState => ({
      eventId: randomUUID(),
      occurredAt: at,
      correlationId: `corr-${caseId}`,
      causationId: null,
      caseId,
      workflowId,
      definitionVersion: '1',
      state: to,
      previousState: null,
      reason: 'test',
      requiredWritebacks: [],
      appliedWritebacks: [],
    });
    const now = Date.now();
    // Two completed straight through, one expired, one declined (EXCEPTION), one ineligible (EXCEPTION), one that went
    // to the exception queue and completed after a retry, one still waiting: 2 of 6 ended cases are straight through.
    const journeys: Array<[string, Array<CaseState['state']>]> = [
      ['a', ['TRIGGERED', 'COMPLETED']],
      ['b', ['TRIGGERED', 'COMPLETED']],
      ['c', ['TRIGGERED', 'EXPIRED']],
      ['d', ['TRIGGERED', 'EXCEPTION']],
      ['e', ['TRIGGERED', 'EXCEPTION']],
      ['f', ['TRIGGERED', 'EXCEPTION', 'AWAITING_WRITEBACK', 'COMPLETED']],
      ['g', ['TRIGGERED', 'AWAITING_CUSTOMER']],
    ];
    for (const [suffix, states] of journeys) {
      const caseId = `case-st-${suffix}-${run}`;
      for (const [i, to] of states.entries()) {
        const s = state(caseId, to, now - 10_000 + i * 1000);
        await publisher.publish(Topics.caseState, { caseId }, s, { correlationId: s.correlationId });
      }
    }
    type Workflow = {
      workflowId: string;
      completed: number;
      ended: number;
      straightThrough: number;
      straightThroughRate: number;
    };
    const mine = async () =>
      (await get<{ windows: Array<{ workflows: Workflow[] }> }>('/v1/slo')).windows[0]!.workflows.find(
        (w) => w.workflowId === workflowId,
      );
    await until('every case recorded', async () => ((await mine())?.completed === 3 ? true : undefined));
    expect(await mine()).toMatchObject({ completed: 3, ended: 6, straightThrough: 2 });
    expect((await mine())!.straightThroughRate).toBeCloseTo(2 / 6);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const ended = (endState: string, straight: boolean) =>
      new RegExp(
        `closeout_reconciler_cases_ended_total\\{workflow="${workflowId}",end_state="${endState}",straight_through="${straight}"\\} (\\d+)`,
      ).exec(metrics)?.[1];
    expect({
      completedStraight: ended('COMPLETED', true),
      expired: ended('EXPIRED', false),
      exception: ended('EXCEPTION', false),
    }).toEqual({ completedStraight: '2', expired: '1', exception: '3' });
  });
});
