import { randomBytes, randomUUID } from 'node:crypto';
import { type INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  Topics,
  type AuditEvent,
  type WritebackCommand,
  type WritebackRequested,
  type WritebackResult,
} from '@closeout/contracts';
import {
  EventPublisher,
  kafkaConnectionFromEnv,
  localRequestSigning,
  positionGroupsAtEnd,
} from '@closeout/kafka';
import { startRestCore, type RestCore } from '@closeout/simulators/rest-core';
import { WritebackService } from '@closeout/writeback-core/nest';
import { WritebackCommandHandler, type WritebackCommandHandlerOptions } from '@closeout/writeback-core';
import { samplePaymentRequest, sleep, until } from '@closeout/writeback-core/testing';
import {
  closeRestWritebackTestService,
  collectWritebackOutput,
  startRestWritebackTestService,
} from '../test-support/rest-writeback-test-service';
import type { RestDestination } from './rest-destination';

/**
 * `writeback.command.v1` handling end to end: commands published on the real Kafka topic, the real writeback service
 * (intake, ledger on the real PostgreSQL, worker, outbox relay) against the simulated REST core, and what it publishes
 * read back from `writeback.result.v1` and `audit.event.v1`. Fresh schema, destination, consumer groups and keys per
 * run.
 */
const run = randomBytes(4).toString('hex');
const seq = Number.parseInt(run, 16);
const destination = `cmd-rest-${run}`;
const service = `wb-cmd-${run}`;
const schema = `wb_cmd_${run}`;

describe('writeback command handler (real Kafka, registry, PostgreSQL; simulated REST core)', () => {
  let core: RestCore;
  let restDestination: RestDestination;
  let app: INestApplication;
  let wb: WritebackService;
  let publisher: EventPublisher;
  let results: WritebackResult[] = [];
  let audits: AuditEvent[] = [];

  const resultsFor = (key: string) => results.filter((r) => r.idempotencyKey === key);
  const request = (n: number): WritebackRequested =>
    samplePaymentRequest(seq + n, { destination, customerId: `cust-${run}`, caseId: `case-${run}-${n}` });
  const command = (r: WritebackRequested, over: Partial<WritebackCommand>): WritebackCommand => ({
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: r.correlationId,
    causationId: null,
    commandId: `cmd-${randomUUID()}`,
    command: 'RESOLVE',
    idempotencyKey: r.idempotencyKey,
    destination,
    protocol: 'REST',
    caseId: r.caseId,
    breakId: `brk-${randomUUID()}`,
    reason: 'UNKNOWN_PAST_TTL (break 1): outcome UNKNOWN for 900 s',
    issuedBy: 'reconciler',
    ...over,
  });
  const send = (c: WritebackCommand) =>
    publisher.publish(Topics.writebackCommand, { caseId: c.caseId }, c, {
      correlationId: c.correlationId,
      idempotencyKey: c.idempotencyKey,
    });
  const admit = async (r: WritebackRequested, status: WritebackResult['status']) => {
    await publisher.publish(Topics.writebackRequested, { caseId: r.caseId }, r, {
      correlationId: r.correlationId,
      idempotencyKey: r.idempotencyKey,
    });
    return until(`${r.idempotencyKey} ${status} on writeback.result`, () =>
      resultsFor(r.idempotencyKey).find((x) => x.status === status),
    );
  };
  /** How often the handler ended a command this way (the service's own counter). */
  const handled = async (cmd: WritebackCommand['command'], outcome: string) =>
    (await wb.metrics.commands.get()).values.find(
      (v) => v.labels['command'] === cmd && v.labels['outcome'] === outcome,
    )?.value ?? 0;
  const commandRows = (key: string) =>
    app
      .get(DataSource)
      .query(
        `SELECT command_id, command, outcome FROM "${schema}".command WHERE idempotency_key = $1 ORDER BY received_at`,
        [key],
      ) as Promise<Array<{ command_id: string; command: string; outcome: string }>>;

  beforeAll(async () => {
    core = await startRestCore();
    // Only what this test publishes: the shared topic's history is other runs' (signed by other keys).
    await positionGroupsAtEnd(kafkaConnectionFromEnv(process.env as Record<string, string>), [
      { groupId: `${service}.writeback-requested`, topic: Topics.writebackRequested },
    ]);
    const signing = localRequestSigning(service);
    // The service never resolves an UNKNOWN row by itself within the test: only a command can make it look. The test
    // publishes writeback.requested as the orchestrator does: signed.
    ({ app, destination: restDestination } = await startRestWritebackTestService({
      service,
      schema,
      destination,
      coreUrl: core.url,
      requestMs: 400,
      // The simulated core's lookups read its own journal: no lag to wait out.
      policy: { unknownResolveDelayMs: 600_000, lookupVisibilityMs: 0 },
      trustedKeys: signing.writebackEnv['WRITEBACK_REQUEST_PUBLIC_KEYS']!,
      signer: signing.signer,
    }));
    wb = app.get(WritebackService);
    publisher = app.get(EventPublisher);
    ({ results, audits } = await collectWritebackOutput(app, service, (r) => r.destination === destination));
  });

  afterAll(async () => {
    await closeRestWritebackTestService(app, schema);
    await core?.close();
  });

  it('RESOLVE on an UNKNOWN row: the worker looks the key up and publishes APPLIED; the same command id twice acts once', async () => {
    const r = request(1);
    core.addFaults({ mode: 'commit_then_timeout', count: 1, match: { idempotencyKey: r.idempotencyKey } });
    await admit(r, 'UNKNOWN');
    const resolve = command(r, { command: 'RESOLVE' });
    const duplicatesBefore = await handled('RESOLVE', 'duplicate');
    await send(resolve);
    await send({ ...resolve, eventId: randomUUID() }); // redelivered / re-issued: same command id
    const applied = await until('APPLIED on writeback.result', () =>
      resultsFor(r.idempotencyKey).find((x) => x.status === 'APPLIED'),
    );
    expect(applied).toMatchObject({
      providerRef: core.journal().find((e) => e.idempotencyKey === r.idempotencyKey)!.transactionId,
      caseId: r.caseId,
    });
    await until('the second delivery handled as a duplicate', async () =>
      (await handled('RESOLVE', 'duplicate')) > duplicatesBefore ? true : undefined,
    );

    expect(await commandRows(r.idempotencyKey)).toEqual([
      { command_id: resolve.commandId, command: 'RESOLVE', outcome: 'marked_for_resolution' },
    ]);
    const row = await wb.ledger.findByKey(destination, r.idempotencyKey);
    const attempts = await wb.ledger.listAttempts(row!.id);
    expect(attempts.map((a) => [a.kind, a.outcome])).toEqual([
      ['send', 'UNKNOWN'],
      ['resolve', 'APPLIED'],
    ]);
    expect(attempts[1]!.providerCode).toBe('found');
    // Acted on once: one lookup, one APPLIED result (a second RESOLVE would have republished it), one posting.
    await sleep(500);
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual(['UNKNOWN', 'APPLIED']);
    expect(core.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toHaveLength(1);
    const audit = await until('the command audit event', () =>
      audits.find(
        (a) => a.action === 'writeback.command_handled' && a.references['commandId'] === resolve.commandId,
      ),
    );
    expect(audit).toMatchObject({
      caseId: r.caseId,
      references: expect.objectContaining({ breakId: resolve.breakId, outcome: 'marked_for_resolution' }),
    });
  });

  /**
   * The handler as the service wires it (writeback-service.module.ts): the destination's own lookup through its circuit
   * breaker, exactly as the worker resolves an unknown outcome.
   */
  const handlerWithLookup = (lookup?: WritebackCommandHandlerOptions['lookup']) =>
    new WritebackCommandHandler({
      service,
      protocol: 'REST',
      destinations: new Set([destination]),
      ledger: wb.ledger,
      metrics: wb.metrics,
      lookup:
        lookup ?? ((name, query) => wb.breakers.get(name)!.execute(() => restDestination.lookup(query))),
    });
  /** A posting made straight into the core under the request's key, as the service would have sent it. */
  const postStraightIntoCore = async (r: WritebackRequested): Promise<string> => {
    const payload = JSON.parse(r.payloadJson) as {
      accountId: string;
      amount: { amountMinor: number; currency: string };
      paymentMethodToken: string;
      reference: string;
    };
    const res = await fetch(`${core.url}/api/payments`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Api-Version': '2024-06-01',
        'Idempotency-Key': r.idempotencyKey,
      },
      body: JSON.stringify({
        account_number: payload.accountId,
        amount: { value_minor: payload.amount.amountMinor, currency: payload.amount.currency },
        payment_token: payload.paymentMethodToken,
        external_reference: payload.reference,
      }),
    });
    expect(res.status).toBe(201);
    return core.journal().find((e) => e.idempotencyKey === r.idempotencyKey)!.transactionId;
  };
  /** A writeback recorded FAILED_PERMANENT (the core answered 422); with `posted`, the core holds it all the same. */
  const failedPermanently = async (r: WritebackRequested, posted: boolean): Promise<string | null> => {
    const providerRef = posted ? await postStraightIntoCore(r) : null;
    core.addFaults({ mode: 'invalid_4xx', count: 1, match: { idempotencyKey: r.idempotencyKey } });
    await admit(r, 'FAILED_PERMANENT');
    return providerRef;
  };

  it('RESOLVE on a false failure: the destination confirms a posting under the key, FAILED_PERMANENT → APPLIED with its ref, once', async () => {
    const r = request(5);
    const providerRef = await failedPermanently(r, true);
    const resolve = command(r, {
      command: 'RESOLVE',
      reason: 'FAILED_BUT_POSTED (break 9): the extract lists a posting under the key',
    });
    const handler = handlerWithLookup();
    const before = await handled('RESOLVE', 'applied_on_evidence');
    expect(await handler.handle(resolve)).toEqual({
      kind: 'handled',
      outcome: 'result_republished',
      ledgerId: expect.any(String),
      appliedOnEvidence: { providerRef },
    });
    expect(await handled('RESOLVE', 'applied_on_evidence')).toBe(before + 1);
    const applied = await until('APPLIED on writeback.result', () =>
      resultsFor(r.idempotencyKey).find((x) => x.status === 'APPLIED'),
    );
    expect(applied).toMatchObject({ providerRef, caseId: r.caseId, errorClass: null, attempts: 1 });

    const row = await wb.ledger.findByKey(destination, r.idempotencyKey);
    expect(row).toMatchObject({ status: 'APPLIED', providerRef, lastErrorClass: null, attempts: 1 });
    const attempts = await wb.ledger.listAttempts(row!.id);
    expect(attempts.map((a) => [a.kind, a.outcome, a.providerCode])).toEqual([
      ['send', 'FAILED_PERMANENT', expect.stringMatching(/^422/)],
      ['resolve', 'APPLIED', 'found'],
    ]);
    const audit = await until('the evidence audit event', () =>
      audits.find(
        (a) =>
          a.action === 'writeback.applied_on_evidence' && a.references['commandId'] === resolve.commandId,
      ),
    );
    expect(audit).toMatchObject({
      outcome: 'SUCCESS',
      caseId: r.caseId,
      references: expect.objectContaining({
        breakId: resolve.breakId,
        providerRef,
        previousStatus: 'FAILED_PERMANENT',
        previousErrorClass: 'VALIDATION',
      }),
    });
    expect(audit.reason).toContain(`confirmed posting ${providerRef} under the key`);

    // The same command again acts once; nothing was ever sent again: the core holds the one posting it had.
    expect(await handler.handle({ ...resolve, eventId: randomUUID() })).toEqual({ kind: 'duplicate' });
    expect(await commandRows(r.idempotencyKey)).toEqual([
      { command_id: resolve.commandId, command: 'RESOLVE', outcome: 'result_republished' },
    ]);
    await sleep(500);
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual(['FAILED_PERMANENT', 'APPLIED']);
    expect(core.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toHaveLength(1);
  });

  it('RESOLVE and REPLAY on a genuine failure: the destination holds nothing or cannot be asked, the failure stands', async () => {
    const r = request(6);
    await failedPermanently(r, false);
    const unreachable = handlerWithLookup(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const resolve = command(r, { command: 'RESOLVE' });
    expect(await unreachable.handle(resolve)).toMatchObject({
      kind: 'handled',
      outcome: 'result_republished',
    });
    const replay = command(r, { command: 'REPLAY' });
    expect(await handlerWithLookup().handle(replay)).toMatchObject({
      kind: 'handled',
      outcome: 'result_republished',
    });
    await until('the failure published twice more', () =>
      resultsFor(r.idempotencyKey).length === 3 ? true : undefined,
    );
    await sleep(300);
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual([
      'FAILED_PERMANENT',
      'FAILED_PERMANENT',
      'FAILED_PERMANENT',
    ]);
    const row = await wb.ledger.findByKey(destination, r.idempotencyKey);
    expect(row).toMatchObject({ status: 'FAILED_PERMANENT', lastErrorClass: 'VALIDATION', attempts: 1 });
    expect((await wb.ledger.listAttempts(row!.id)).map((a) => a.kind)).toEqual(['send']);
    expect(core.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toEqual([]);
    const details = await until('both command audit events', () => {
      const found = audits.filter(
        (a) =>
          a.action === 'writeback.command_handled' && a.references['idempotencyKey'] === r.idempotencyKey,
      );
      return found.length === 2 ? found.map((a) => a.reason) : undefined;
    });
    expect(details).toEqual([
      expect.stringContaining('could not be asked (connect ECONNREFUSED)'),
      expect.stringContaining('holds no posting under the key'),
    ]);
  });

  it('skips, and counts, commands for another destination or another protocol', async () => {
    const r = request(2);
    await admit(r, 'APPLIED');
    const skippedBefore = await handled('RESOLVE', 'skipped_not_owned');
    const otherDestination = command(r, { destination: `elsewhere-${run}` });
    const otherProtocol = command(r, { protocol: 'SOAP' });
    await send(otherDestination);
    await send(otherProtocol);
    await until('both skipped', async () =>
      (await handled('RESOLVE', 'skipped_not_owned')) >= skippedBefore + 2 ? true : undefined,
    );
    expect(await commandRows(r.idempotencyKey)).toEqual([]);
    await sleep(300);
    // Nothing republished, nothing looked up.
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual(['APPLIED']);
    const row = await wb.ledger.findByKey(destination, r.idempotencyKey);
    expect((await wb.ledger.listAttempts(row!.id)).map((a) => a.kind)).toEqual(['send']);
  });

  it('REPLAY on a row the core never got: looked up, not found, re-sent once under the same key, APPLIED', async () => {
    const r = request(3);
    // The connection breaks after the request may have been written: UNKNOWN, though the core posted nothing.
    core.addFaults({ mode: 'connection_reset', count: 1, match: { idempotencyKey: r.idempotencyKey } });
    await admit(r, 'UNKNOWN');
    expect(core.journal().filter((e) => e.idempotencyKey === r.idempotencyKey)).toEqual([]);
    const replay = command(r, {
      command: 'REPLAY',
      reason: 'REQUESTED_NO_RESULT (break 2): still open after 1 h',
    });
    await send(replay);
    await send({ ...replay, eventId: randomUUID() });
    const applied = await until('APPLIED on writeback.result', () =>
      resultsFor(r.idempotencyKey).find((x) => x.status === 'APPLIED'),
    );
    await until('the second delivery handled as a duplicate', async () =>
      (await handled('REPLAY', 'duplicate')) >= 1 ? true : undefined,
    );
    await sleep(500);

    const posted = core.journal().filter((e) => e.idempotencyKey === r.idempotencyKey);
    expect(posted).toHaveLength(1);
    expect(applied.providerRef).toBe(posted[0]!.transactionId);
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual(['UNKNOWN', 'APPLIED']);
    const row = await wb.ledger.findByKey(destination, r.idempotencyKey);
    const attempts = await wb.ledger.listAttempts(row!.id);
    const steps = attempts.map((a) => [a.kind, a.outcome]);
    expect(steps[0]).toEqual(['send', 'UNKNOWN']);
    expect(steps.slice(-2)).toEqual([
      ['resolve', 'FAILED_RETRYABLE'],
      ['send', 'APPLIED'],
    ]);
    // A "not found" before the destination's visibility bound is not final: such lookups keep the row UNKNOWN.
    expect(
      steps.slice(1, -2).filter(([kind, outcome]) => kind !== 'resolve' || outcome !== 'UNKNOWN'),
    ).toEqual([]);
    expect(attempts.at(-2)!.providerCode).toBe('not_found');
    expect(await commandRows(r.idempotencyKey)).toEqual([
      { command_id: replay.commandId, command: 'REPLAY', outcome: 'marked_for_resolution' },
    ]);
  });

  it('FLAG publishes no writeback.result, leaves the row alone, and is audited with the break', async () => {
    const r = request(4);
    await admit(r, 'APPLIED');
    const before = await wb.ledger.findByKey(destination, r.idempotencyKey);
    const flag = command(r, {
      command: 'FLAG',
      reason: 'APPLIED_MISSING_IN_CORE (break 7): the extract has no posting for the key',
    });
    await send(flag);
    const audit = await until('writeback.flagged on audit.event', () =>
      audits.find((a) => a.action === 'writeback.flagged' && a.references['commandId'] === flag.commandId),
    );
    expect(audit).toMatchObject({
      caseId: r.caseId,
      correlationId: r.correlationId,
      reason: expect.stringContaining('APPLIED_MISSING_IN_CORE (break 7)'),
      references: expect.objectContaining({
        breakId: flag.breakId,
        idempotencyKey: r.idempotencyKey,
        outcome: 'flagged',
      }),
    });
    expect(await commandRows(r.idempotencyKey)).toEqual([
      { command_id: flag.commandId, command: 'FLAG', outcome: 'flagged' },
    ]);
    await sleep(500);
    expect(resultsFor(r.idempotencyKey).map((x) => x.status)).toEqual(['APPLIED']);
    const after = await wb.ledger.findByKey(destination, r.idempotencyKey);
    expect(after).toMatchObject({
      status: 'APPLIED',
      attempts: before!.attempts,
      providerRef: before!.providerRef,
    });
  });
});
