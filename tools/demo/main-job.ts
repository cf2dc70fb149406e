/**
 * Closeout's main job: brings up the devstack and the nine services, shows them healthy, drives sample
 * triggers through the platform and prints what happened at each hop. It leaves everything running.
 *
 * Stages reached so far: upstream event (HTTP) → trigger-ingest (dedupe, mapping) → case.triggered.v1 (Avro)
 * → orchestrator (durable case) → case.state.v1 and audit.event.v1; and, for the cases that move money, a
 * writeback.requested.v1 → writeback-rest (ledger, breaker, outbox) → the simulated REST core → writeback.result.v1,
 * with a redelivery and a conflicting request to show what the ledger refuses. Later stages extend the same report.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Topics, type AuditEvent, type CaseState, type WritebackResult } from '@closeout/contracts';
import { KafkaClient } from '@closeout/kafka';
import { configureLogging } from '@closeout/telemetry';
import { samplePaymentRequest } from '@closeout/writeback-adapters/testing';
import {
  devstackCommand,
  devstackEnv,
  logFile,
  repoRoot,
  runningPid,
  services,
  startProcess,
  startService,
  waitUntilReady,
} from './services';

const INGEST_TOKEN = 'demo-upstream-token-0123456789';
const AGENT_TOKEN = 'demo-agent-token-0123456789';
const REST_CORE_PORT = 8091;
const SOAP_CORE_PORT = 8092;
// The simulated SFTP batch core (a test double) ingests files dropped on the devstack's sshd.
const sftpDestinations = (env: Record<string, string>): string =>
  JSON.stringify([
    {
      name: 'core-banking-sftp',
      host: env['SFTP_HOST'],
      port: Number(env['SFTP_PORT']),
      username: env['SFTP_USERNAME'],
      privateKeyPath: env['SFTP_PRIVATE_KEY_PATH'],
      hostPublicKeyPath: env['SFTP_HOST_PUBLIC_KEY_PATH'],
      remoteDir: `${env['SFTP_REMOTE_ROOT']}/core-banking-sftp`,
      layoutVersion: 'payments-v1',
    },
  ]);
// The simulated SOAP core (a test double) stands in for a legacy core banking system.
const SOAP_DESTINATIONS = JSON.stringify([
  {
    name: 'core-banking-soap',
    wsdlUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/CoreBankingService?wsdl`,
    endpoint: `http://127.0.0.1:${SOAP_CORE_PORT}/CoreBankingService`,
    healthUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/health`,
    soapVersion: '1.1',
    wsdlVersion: 'CoreBankingService-2019.2',
  },
]);
// The simulated REST core banking system (a test double) stands in for the bank's system of record.
const REST_DESTINATIONS = JSON.stringify([
  {
    name: 'core-banking-rest',
    baseUrl: `http://127.0.0.1:${REST_CORE_PORT}`,
    auth: { type: 'bearer', token: 'demo-core-token-0123456789' },
    apiVersions: ['2024-06-01', '2025-01-15'],
  },
]);
const ingestUrl = 'http://127.0.0.1:3001/v1/triggers';

const samples = [
  { eventType: 'billing.payment_failed', amount: { amountMinor: 4599, currency: 'GBP' } },
  { eventType: 'collections.arrears_detected', amount: { amountMinor: 120000, currency: 'GBP' } },
  { eventType: 'compliance.kyc_refresh_due' },
  { eventType: 'crm.mail_returned' },
  { eventType: 'onboarding.documents_missing' },
];

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg: string) => console.log(`[${elapsed().padStart(6)}] ${msg}`);

async function post(body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn', service: 'main-job' });
  say('starting tools/devstack (Kafka, Apicurio Registry, PostgreSQL, sshd)');
  execFileSync(devstackCommand, ['up'], { stdio: 'inherit' });
  const env: Record<string, string> = {
    ...devstackEnv(),
    INGEST_API_TOKENS: INGEST_TOKEN,
    ORCHESTRATOR_API_TOKENS: AGENT_TOKEN,
    WRITEBACK_REST_DESTINATIONS: REST_DESTINATIONS,
    WRITEBACK_SOAP_DESTINATIONS: SOAP_DESTINATIONS,
    WRITEBACK_SFTP_DESTINATIONS: sftpDestinations(devstackEnv()),
    LOG_LEVEL: 'info',
  };

  if (runningPid('rest-core') === undefined) {
    startProcess(
      'rest-core',
      'tools/simulators/rest-core/main.ts',
      [
        '--port',
        String(REST_CORE_PORT),
        '--journal-file',
        `${repoRoot}/.devstack/services/rest-core.journal.jsonl`,
      ],
      {},
    );
    say(`simulated REST core (test double) starting on :${REST_CORE_PORT} (log ${logFile('rest-core')})`);
  }
  if (runningPid('soap-core') === undefined) {
    startProcess(
      'soap-core',
      'tools/simulators/soap-core/main.ts',
      [
        '--port',
        String(SOAP_CORE_PORT),
        '--journal-file',
        `${repoRoot}/.devstack/services/soap-core.journal.jsonl`,
      ],
      {},
    );
    say(`simulated SOAP core (test double) starting on :${SOAP_CORE_PORT} (log ${logFile('soap-core')})`);
  }
  if (runningPid('sftp-core') === undefined) {
    startProcess(
      'sftp-core',
      'tools/simulators/sftp-core/main.ts',
      [
        '--root',
        env['SFTP_ROOT']!,
        '--destinations',
        'core-banking-sftp',
        '--journal-file',
        `${repoRoot}/.devstack/services/sftp-core.journal.jsonl`,
      ],
      {},
    );
    say(
      `simulated SFTP batch core (test double) processing ${env['SFTP_ROOT']}/core-banking-sftp (log ${logFile('sftp-core')})`,
    );
  }
  // The SOAP destination loads its WSDL at boot: the core must answer first.
  for (let i = 0; i < 100; i += 1) {
    const up = await fetch(`http://127.0.0.1:${SOAP_CORE_PORT}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  // Services start one after another: each creates its topics, and 2 cores boot nine Node processes faster in a row.
  for (const s of services) {
    if (runningPid(s.name) !== undefined) {
      say(`${s.name} already running`);
    } else {
      startService(s.name, s.port, env);
      say(`${s.name} starting on :${s.port} (log ${logFile(s.name)})`);
    }
    await waitUntilReady(s.name, s.port, 120_000);
  }
  console.log('\nservice            port  ready  checks');
  for (const s of services) {
    const r = await waitUntilReady(s.name, s.port, 10_000);
    const checks = Object.entries(r.checks ?? {})
      .map(([k, v]) => `${k}:${v.ok ? 'ok' : 'DOWN'}`)
      .join(' ');
    console.log(`${s.name.padEnd(18)} ${String(s.port).padEnd(5)} ${r.ready ? 'yes' : 'NO '}    ${checks}`);
  }

  const kafka = new KafkaClient({
    clientId: `main-job-${randomUUID().slice(0, 8)}`,
    brokers: env['KAFKA_BROKERS']!.split(','),
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
  });
  await kafka.start();
  const states = new Map<string, CaseState>();
  const audits = new Map<string, AuditEvent[]>();
  const group = `main-job.${randomUUID()}`;
  await kafka.subscriber.subscribe({
    groupId: `${group}.states`,
    topic: Topics.caseState,
    fromBeginning: true,
    handler: async ({ value }) => {
      states.set(value.caseId, value);
    },
  });
  await kafka.subscriber.subscribe({
    groupId: `${group}.audit`,
    topic: Topics.auditEvent,
    fromBeginning: true,
    handler: async ({ value }) => {
      audits.set(value.correlationId, [...(audits.get(value.correlationId) ?? []), value]);
    },
  });

  const writebackResults: WritebackResult[] = [];
  await kafka.subscriber.subscribe({
    groupId: `${group}.writeback-results`,
    topic: Topics.writebackResult,
    fromBeginning: true,
    handler: async ({ value }) => {
      writebackResults.push(value);
    },
  });

  const run = randomUUID().slice(0, 8);
  say(
    `sending ${samples.length} upstream events, one per seed workflow, then a redelivery and an invalid event`,
  );
  const caseIds: string[] = [];
  for (const [i, s] of samples.entries()) {
    const res = await post({
      sourceSystem: 'core-billing',
      eventId: `demo-${run}-${i}`,
      eventType: s.eventType,
      occurredAt: new Date().toISOString(),
      customer: { customerId: `cus-${run}-${i}`, accountId: `acc-${run}-${i}`, timeZone: 'Europe/London' },
      ...(s.amount ? { amount: s.amount } : {}),
    });
    const outcome = res.body as { caseId: string; duplicate: boolean };
    caseIds.push(outcome.caseId);
    console.log(`  ${s.eventType.padEnd(30)} → HTTP ${res.status} ${outcome.caseId}`);
  }
  const redelivery = await post({
    sourceSystem: 'core-billing',
    eventId: `demo-${run}-0`,
    eventType: samples[0]!.eventType,
    occurredAt: new Date().toISOString(),
    customer: { customerId: `cus-${run}-0` },
    amount: samples[0]!.amount,
  });
  console.log(
    `  redelivery of demo-${run}-0            → HTTP ${redelivery.status} ${JSON.stringify(redelivery.body)}`,
  );
  const invalid = await post({
    sourceSystem: 'core-billing',
    eventType: 'billing.payment_failed',
    occurredAt: 'yesterday',
    customer: {},
  });
  console.log(
    `  invalid event                         → HTTP ${invalid.status} ${JSON.stringify((invalid.body as { errors: unknown }).errors)}`,
  );

  const deadline = Date.now() + 60_000;
  while (
    Date.now() < deadline &&
    !caseIds.every((id) => states.has(id) && (audits.get(id)?.length ?? 0) >= 2)
  ) {
    await new Promise((r) => setTimeout(r, 250));
  }

  console.log('\ncase                           workflow                  state      audit trail');
  let opened = 0;
  for (const id of caseIds) {
    const st = states.get(id);
    if (st) opened++;
    const trail = (audits.get(id) ?? []).map((a) => `${a.service}:${a.action}`).join(' → ');
    console.log(
      `${id.padEnd(30)} ${(st?.workflowId ?? '-').padEnd(25)} ${(st?.state ?? 'MISSING').padEnd(10)} ${trail}`,
    );
  }
  // Writebacks: the money-moving cases post a payment to the core through writeback-rest; one request is delivered
  // twice and a third reuses a key with a different amount.
  say(
    'requesting a payment writeback for the two money-moving cases, a redelivery, and a conflicting reuse of a key',
  );
  const payments = caseIds.slice(0, 2).map((caseId, i) =>
    samplePaymentRequest(i, {
      caseId,
      correlationId: states.get(caseId)?.correlationId ?? `corr-${caseId}`,
      customerId: `cus-${run}-${i}`,
      amountMinor: samples[i]!.amount!.amountMinor,
    }),
  );
  const rival = samplePaymentRequest(0, {
    caseId: payments[0]!.caseId,
    correlationId: payments[0]!.correlationId,
    customerId: `cus-${run}-0`,
    amountMinor: 1,
  });
  const publish = (requests: typeof payments) =>
    kafka.publisher.publishMany(
      requests.map((r) => ({
        topic: Topics.writebackRequested,
        key: { caseId: r.caseId },
        value: r,
        headers: { correlationId: r.correlationId, idempotencyKey: r.idempotencyKey },
      })),
    );
  // The same kind of business action to the legacy SOAP core, through writeback-soap.
  const soapPayment = samplePaymentRequest(2, {
    caseId: caseIds[1]!,
    correlationId: states.get(caseIds[1]!)?.correlationId ?? `corr-${caseIds[1]}`,
    customerId: `cus-${run}-1`,
    destination: 'core-banking-soap',
    protocol: 'SOAP',
    amountMinor: 5_000,
  });
  // And to the batch core over SFTP, through writeback-sftp: a batch file, a manifest, a receipt.
  const sftpPayment = samplePaymentRequest(3, {
    caseId: caseIds[0]!,
    correlationId: payments[0]!.correlationId,
    customerId: `cus-${run}-0`,
    destination: 'core-banking-sftp',
    protocol: 'SFTP',
    amountMinor: 2_500,
  });
  const deliveries = [...payments, rival, soapPayment, sftpPayment];
  const expected = (r: WritebackResult) => deliveries.some((d) => d.eventId === r.causationId);
  const waitForResults = async (n: number) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && writebackResults.filter(expected).length < n) {
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await publish(deliveries);
  await waitForResults(5);
  // Kafka delivers the first request again after it was applied: the ledger answers from what it stored.
  await publish([{ ...payments[0]! }]);
  await waitForResults(6);
  console.log(
    '\nwriteback request                              status              provider ref      attempts  note',
  );
  const mine = writebackResults.filter(expected);
  for (const r of mine) {
    const note = r.duplicate
      ? 'duplicate: stored result republished, core not called'
      : r.status === 'REJECTED_CONFLICT'
        ? 'same key, different amount: refused, audited'
        : `${r.latencyMs} ms from request`;
    console.log(
      `${`${r.caseId} ${r.operation} ${r.protocol}`.padEnd(46)} ${r.status.padEnd(19)} ${(r.providerRef ?? '-').padEnd(17)} ${String(r.attempts).padEnd(9)} ${note}`,
    );
  }
  const applied = mine.filter((r) => r.status === 'APPLIED' && !r.duplicate && r.protocol === 'REST').length;
  const soapApplied = mine.filter((r) => r.status === 'APPLIED' && r.protocol === 'SOAP').length;
  const sftpApplied = mine.filter((r) => r.status === 'APPLIED' && r.protocol === 'SFTP').length;
  // What the core itself says: postings per idempotency key (its lookup API, as the reconciler would ask).
  let posted = 0;
  for (const payment of payments) {
    const res = await fetch(
      `http://127.0.0.1:${REST_CORE_PORT}/api/postings?idempotency_key=${encodeURIComponent(payment.idempotencyKey)}`,
      { headers: { 'Api-Version': '2024-06-01', authorization: 'Bearer demo-core-token-0123456789' } },
    );
    if (res.ok) posted += ((await res.json()) as { data: unknown[] }).data.length;
  }
  await kafka.close();

  console.log(
    `\nReport: ${caseIds.length} triggers sent, ${opened} cases opened, 1 redelivery deduplicated (HTTP ${redelivery.status}), ` +
      `1 invalid event refused (HTTP ${invalid.status}); ${applied}/${payments.length} writebacks applied, ` +
      `${posted} postings in the core for them (a duplicate delivery and a conflicting request did not reach it); ` +
      `${soapApplied}/1 SOAP writeback applied through writeback-soap, ${sftpApplied}/1 SFTP batch writeback applied ` +
      `through writeback-sftp, ${elapsed()} in all.`,
  );
  console.log(
    'The platform is still running: http://127.0.0.1:3001..3009 (/health/ready, /metrics). Stop it with `npm run stop`.',
  );
  if (
    opened !== caseIds.length ||
    applied !== payments.length ||
    posted !== payments.length ||
    soapApplied !== 1 ||
    sftpApplied !== 1
  )
    process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
