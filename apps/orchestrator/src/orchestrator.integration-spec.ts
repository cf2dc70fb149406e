import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import {
  Topics,
  type CaseTriggered,
  type MiniappAction,
  type OutreachEvent,
  type WritebackRequested,
  type WritebackResult,
} from '@closeout/contracts';
import { OrchestratorHarness } from './test-support/orchestrator-harness';

/**
 * The orchestrator on its own, in-process (its AppModule and production HTTP layer), against the real Kafka,
 * registry and PostgreSQL: the test publishes what trigger-ingest, messaging, the mini-app and the writeback services
 * would, and reads what the orchestrator publishes. No other service runs. Each test opens cases of its own.
 */
const harness = new OrchestratorHarness({
  // Only kyc-refresh gets timers short enough to come due during the run (the reminder tests); the others are
  // patient: one reminder 600 s after the first message, so two attempts a round.
  'kyc-refresh': { reminders: ['PT3S', 'PT5S'], expiry: 'PT12S', writebackLatencyCeiling: 'PT600S' },
});
const run = harness.run;
let n = 0;

function trigger(
  workflowId: string,
  over: { amountMinor?: number | null; accountId?: string | null; eventType?: string } = {},
): CaseTriggered {
  n += 1;
  const caseId = `case-${run}-${n}`;
  return {
    eventId: `trg-${run}-${n}`,
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    workflowId,
    source: {
      system: 'core-billing',
      eventId: `up-${run}-${n}`,
      eventType: over.eventType ?? 'billing.payment_failed',
      mappingVersion: '1',
      payloadRef: 'b'.repeat(64),
    },
    customer: {
      customerId: `cus-${run}-${n}`,
      accountId: over.accountId === undefined ? `40${String(n).padStart(8, '0')}` : over.accountId,
      locale: null,
      timeZone: 'Europe/London',
    },
    amount: over.amountMinor === null ? null : { amountMinor: over.amountMinor ?? 4599, currency: 'GBP' },
    attributes: {},
  };
}

const publishTriggers = (triggers: CaseTriggered[]) =>
  harness.kafka.publisher.publishMany(
    triggers.map((t) => ({
      topic: Topics.caseTriggered,
      key: { caseId: t.caseId },
      value: t,
      headers: { correlationId: t.correlationId },
    })),
  );

function bankTransfer(caseId: string): MiniappAction {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    idempotencyKey: `act-${caseId}-transfer`,
    caseId,
    workflowId: 'failed-payment-recovery',
    actionId: randomUUID(),
    action: 'payment.bank_transfer',
    identityMethod: 'OTP_AND_KNOWN_FACT',
    consentRef: `consent-${caseId}`,
    sessionRef: `sess-${caseId}`,
    parameters: { paymentMethodToken: 'pm_tok_bank_1' },
  };
}

function delivered(caseId: string, outreachId: string): OutreachEvent {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    outreachId,
    channel: 'SMS',
    status: 'DELIVERED',
    providerRef: `sms-${outreachId}`,
    reason: null,
    fallbackChannel: null,
    link: null,
  };
}

/** What messaging reports about attempt `attempt` of a case (its outreach id is the orchestrator's). */
function receipt(
  caseId: string,
  attempt: number,
  status: OutreachEvent['status'],
  over: Partial<OutreachEvent> = {},
): OutreachEvent {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    outreachId: `out_${caseId}_${attempt}`,
    channel: 'SMS',
    status,
    providerRef: status === 'SENT' || status === 'DELIVERED' ? `prov-${caseId}-${attempt}` : null,
    reason: null,
    fallbackChannel: null,
    link: null,
    ...over,
  };
}

const publishReceipts = (events: OutreachEvent[]) =>
  harness.kafka.publisher.publishMany(
    events.map((e) => ({
      topic: Topics.outreachEvent,
      key: { caseId: e.caseId },
      value: e,
      headers: { correlationId: e.correlationId },
    })),
  );

const kycTrigger = () =>
  trigger('kyc-refresh', { amountMinor: null, eventType: 'compliance.kyc_refresh_due' });

function applied(r: WritebackRequested): WritebackResult {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: r.correlationId,
    causationId: r.eventId,
    idempotencyKey: r.idempotencyKey,
    destination: r.destination,
    protocol: r.protocol,
    operation: r.operation,
    caseId: r.caseId,
    workflowId: r.workflowId,
    status: 'APPLIED',
    providerRef: `ref-${r.idempotencyKey.slice(0, 12)}`,
    errorClass: null,
    errorMessage: null,
    attempts: 1,
    latencyMs: 12,
    contractVersion: r.contractVersion,
    mappingVersion: r.mappingVersion,
    duplicate: false,
    destinationDegraded: false,
  };
}

const publishResults = (results: WritebackResult[]) =>
  harness.kafka.publisher.publishMany(
    results.map((r) => ({
      topic: Topics.writebackResult,
      key: { caseId: r.caseId },
      value: r,
      headers: { correlationId: r.correlationId, idempotencyKey: r.idempotencyKey },
    })),
  );

/** Rows of `sql` in the run's schema (the app's connection has it on its search path). */
const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> => harness.running.db.query(sql, params);

async function batchesApplied(path: 'one-transaction' | 'per-event'): Promise<number> {
  const metric = await register.getSingleMetric('closeout_orchestrator_batches_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels['topic'] === Topics.caseTriggered && v.labels['path'] === path)
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  await harness.prepare();
  await harness.start();
});

afterAll(async () => {
  await harness.close();
});

describe('orchestrator (in-process; real Kafka, registry and PostgreSQL; no other service)', () => {
  it('opens a redelivered trigger once: the inbox keeps the second delivery from doing anything', async () => {
    const t = trigger('failed-payment-recovery');
    // The same event twice (a redelivery), and the same case under a new event id (a replayed upstream event).
    await publishTriggers([t, t, { ...t, eventId: `${t.eventId}-replayed` }]);
    const view = await harness.waitForState(t.caseId, ['OUTREACH']);
    // Everything the three deliveries could do has been done once the last one is in the inbox.
    await harness.until(
      'the three trigger deliveries in the inbox',
      async () => {
        const [row] = await query<{ count: number }>(
          `SELECT count(*)::int AS count FROM processed_event WHERE consumer = 'case-triggered' AND event_id = ANY ($1::text[])`,
          [[t.eventId, `${t.eventId}-replayed`]],
        );
        return row!.count === 2 ? row : undefined;
      },
      { caseId: t.caseId },
    );
    const after = (await harness.getCase(t.caseId))!;
    expect(after.timeline.filter((e) => e.kind === 'case.opened')).toHaveLength(1);
    expect(after.timeline.filter((e) => e.kind === 'outreach.requested')).toHaveLength(1);
    // No reminder before messaging reports the first message sent: only the expiry.
    expect(after.timers.map((x) => x.kind)).toEqual(['EXPIRY']);
    expect(view.state).toBe('OUTREACH');
    await harness.until('the first outreach.requested', () => harness.observed.outreachOf(t.caseId)[0], {
      caseId: t.caseId,
    });
    expect(new Set(harness.observed.outreachOf(t.caseId).map((o) => o.eventId))).toEqual(
      new Set([`orq_out_${t.caseId}_1`]),
    );
  });

  it('applies a batch of triggers: every case opens exactly once, the batch in one transaction', async () => {
    const before = await batchesApplied('one-transaction');
    const triggers = Array.from({ length: 40 }, () => trigger('failed-payment-recovery'));
    await publishTriggers(triggers);
    const ids = triggers.map((t) => t.caseId);
    const opened = await harness.until(`the ${ids.length} cases of the batch open`, async () => {
      const rows = await query<{ case_id: string; state: string; opened: number }>(
        `SELECT c.case_id, c.state, (SELECT count(*)::int FROM case_event e WHERE e.case_id = c.case_id AND e.kind = 'case.opened') AS opened
         FROM cases c WHERE c.case_id = ANY ($1::text[])`,
        [ids],
      );
      return rows.length === ids.length ? rows : undefined;
    });
    expect(opened.filter((r) => r.state !== 'OUTREACH' || r.opened !== 1)).toEqual([]);
    // 40 events over 6 partitions: some partition batch held more than one, and it committed as one transaction.
    expect(await batchesApplied('one-transaction')).toBeGreaterThan(before);
    const outreach = await harness.until('an outreach.requested for each case of the batch', () => {
      const seen = new Set(
        harness.observed.outreach.filter((o) => ids.includes(o.caseId)).map((o) => o.caseId),
      );
      return seen.size === ids.length ? seen : undefined;
    });
    expect(outreach.size).toBe(ids.length);
  });

  it('requests outreach, takes the action, asks for its writebacks signed, and completes on their results', async () => {
    const t = trigger('failed-payment-recovery');
    await publishTriggers([t]);
    const first = await harness.until(
      'outreach.requested attempt 1',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 1),
      { caseId: t.caseId },
    );
    expect(first).toMatchObject({
      outreachId: `out_${t.caseId}_1`,
      idempotencyKey: `out_${t.caseId}_1`,
      customerId: t.customer.customerId,
      workflowId: 'failed-payment-recovery',
    });
    await harness.kafka.publisher.publish(
      Topics.outreachEvent,
      { caseId: t.caseId },
      delivered(t.caseId, first.outreachId),
      { correlationId: t.correlationId },
    );
    await harness.waitForState(t.caseId, ['AWAITING_CUSTOMER']);
    const action = bankTransfer(t.caseId);
    await harness.kafka.publisher.publish(Topics.miniappAction, { caseId: t.caseId }, action, {
      correlationId: t.correlationId,
    });
    const waiting = await harness.waitForState(t.caseId, ['AWAITING_WRITEBACK']);
    const live = waiting.writebacks.filter((w) => !w.superseded);
    expect(live.length).toBeGreaterThan(0);

    const requests = await harness.until(
      `writeback.requested for each of ${live.length} writeback(s)`,
      () => {
        const keys = new Set(harness.observed.requestsOf(t.caseId).map((r) => r.idempotencyKey));
        return live.every((w) => keys.has(w.idempotencyKey))
          ? harness.observed.requestsOf(t.caseId)
          : undefined;
      },
      { caseId: t.caseId },
    );
    for (const r of requests) {
      expect(r).toMatchObject({
        caseId: t.caseId,
        correlationId: t.correlationId,
        consentRef: `consent-${t.caseId}`,
      });
    }
    // Every writeback.requested of the run carries a signature the writeback services' public key verifies.
    await harness.until('the signature checks of the requests', () =>
      harness.observed.signatureChecks.length >= requests.length ? true : undefined,
    );
    expect(harness.observed.signatureChecks).not.toHaveLength(0);
    expect(harness.observed.signatureChecks.filter((c) => !c.ok)).toEqual([]);

    const unique = [...new Map(requests.map((r) => [r.idempotencyKey, r])).values()];
    const results = unique.map(applied);
    // A redelivered result is recorded once.
    await publishResults([...results, results[0]!]);
    const done = await harness.waitForState(t.caseId, ['COMPLETED']);
    expect(done.writebacks.filter((w) => !w.superseded).every((w) => w.status === 'APPLIED')).toBe(true);
    expect(done.timeline.filter((e) => e.kind === 'writeback.applied')).toHaveLength(unique.length);
    expect(done.timeline.filter((e) => e.kind === 'case.completed')).toHaveLength(1);
    // No reminder or expiry is left to fire on a completed case.
    for (const timer of done.timers.filter((x) => x.firedAt === null))
      expect(timer.cancelledAt).not.toBeNull();
    const state = await harness.until(
      'case.state COMPLETED',
      () => harness.observed.statesOf(t.caseId).find((s) => s.state === 'COMPLETED'),
      { caseId: t.caseId },
    );
    const keys = unique.map((r) => r.idempotencyKey).sort();
    expect([...state.requiredWritebacks].sort()).toEqual(keys);
    expect([...state.appliedWritebacks].sort()).toEqual(keys);

    // A failure that arrives after the writeback was applied (a late or reordered result) moves nothing backwards.
    const late: WritebackResult = {
      ...results[0]!,
      eventId: randomUUID(),
      status: 'FAILED_PERMANENT',
      providerRef: null,
      errorClass: 'VALIDATION',
      errorMessage: 'late failure',
      attempts: 5,
    };
    await publishResults([late]);
    await harness.until('the late result taken in', async () =>
      (await query(`SELECT 1 FROM processed_event WHERE event_id = $1`, [late.eventId])).length > 0
        ? true
        : undefined,
    );
    const [row] = await query<{
      status: string;
      provider_ref: string;
      attempts: number;
      error_class: string | null;
    }>(
      `SELECT status, provider_ref, attempts, error_class FROM case_writeback WHERE destination = $1 AND idempotency_key = $2`,
      [late.destination, late.idempotencyKey],
    );
    expect(row).toEqual({
      status: 'APPLIED',
      provider_ref: results[0]!.providerRef,
      attempts: 1,
      error_class: null,
    });
    const after = await harness.waitForState(t.caseId, ['COMPLETED']);
    expect(after.timeline.filter((e) => e.kind === 'writeback.failed')).toEqual([]);
    expect(await query(`SELECT 1 FROM exception_item WHERE case_id = $1`, [t.caseId])).toEqual([]);
  });

  it('the exception API: agents list and resolve exceptions with their token; nobody without one', async () => {
    for (const [method, path] of [
      ['GET', '/v1/exceptions'],
      ['POST', '/v1/exceptions/exc_none/resolve'],
      ['GET', '/v1/cases/none'],
    ] as const) {
      const anonymous = await harness.api(path, { method, token: null });
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      expect(anonymous.contentType).toContain('application/problem+json');
      const forged = await harness.api(path, { method, token: 'not-a-token-of-ours-0000' });
      expect({ path, status: forged.status }).toEqual({ path, status: 401 });
    }

    // No account: no action of the workflow is eligible, so the case goes straight to the queue.
    const t = trigger('failed-payment-recovery', { accountId: null });
    await publishTriggers([t]);
    await harness.waitForState(t.caseId, ['EXCEPTION']);
    const list = await harness.api(
      '/v1/exceptions?status=OPEN&kind=INELIGIBLE&workflowId=failed-payment-recovery&limit=500',
    );
    expect(list.status).toBe(200);
    const item = (
      list.body as { items: { exceptionId: string; caseId: string; kind: string; caseState: string }[] }
    ).items.find((i) => i.caseId === t.caseId);
    expect(item).toMatchObject({ kind: 'INELIGIBLE', caseState: 'EXCEPTION' });

    const retry = await harness.api(`/v1/exceptions/${item!.exceptionId}/resolve`, {
      method: 'POST',
      body: { resolution: 'retry', note: 'try again' },
    });
    expect(retry.status).toBe(409);
    expect((retry.body as { errors: { field: string }[] }).errors[0]!.field).toBe('resolution');
    const unknown = await harness.api(`/v1/exceptions/exc_${run}_none/resolve`, {
      method: 'POST',
      body: { resolution: 'close', note: 'x' },
    });
    expect(unknown.status).toBe(404);

    const closed = await harness.api(`/v1/exceptions/${item!.exceptionId}/resolve`, {
      method: 'POST',
      body: { resolution: 'close', note: 'customer has no account any more' },
    });
    expect(closed).toMatchObject({ status: 200, body: { caseId: t.caseId, state: 'CLOSED' } });
    const twice = await harness.api(`/v1/exceptions/${item!.exceptionId}/resolve`, {
      method: 'POST',
      body: { resolution: 'close', note: 'again' },
    });
    expect(twice.status).toBe(409);

    const resolved = await harness.api('/v1/exceptions?status=RESOLVED&kind=INELIGIBLE&limit=500');
    expect(
      (resolved.body as { items: { exceptionId: string; resolution: Record<string, unknown> }[] }).items.find(
        (i) => i.exceptionId === item!.exceptionId,
      )?.resolution,
    ).toMatchObject({ resolution: 'close', by: 'agent-7' });
    const audited = await harness.until(
      'the audit event of the resolution, by agent-7',
      () =>
        harness.observed
          .auditOf(t.caseId)
          .find(
            (a) => a.action === 'exception.resolved' && a.actor.type === 'AGENT' && a.actor.id === 'agent-7',
          ),
      { caseId: t.caseId },
    );
    expect(audited.outcome).toBe('SUCCESS');
  });

  it('fires each timer once when the orchestrator is closed before they are due and started again; each reminder counts from the receipt before it', async () => {
    const t = kycTrigger();
    await publishTriggers([t]);
    await harness.waitForState(t.caseId, ['OUTREACH']);
    const sentAt = Date.now();
    await publishReceipts([receipt(t.caseId, 1, 'SENT', { channel: 'EMAIL', occurredAt: sentAt })]);
    const scheduled = await harness.until(
      'the reminder for attempt 2 after attempt 1 was sent',
      async () => {
        const view = await harness.getCase(t.caseId);
        return view?.timers.some((x) => x.kind === 'REMINDER') ? view : undefined;
      },
      { caseId: t.caseId },
    );
    expect(scheduled.timers.map((x) => [x.timerId, x.firedAt]).sort()).toEqual([
      [`tmr_${t.caseId}_expiry_1`, null],
      [`tmr_${t.caseId}_reminder_2`, null],
    ]);
    await harness.stop();
    // Down until the reminder (3 s after the send) is due.
    await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 4_000 - Date.now())));
    await harness.start();

    const second = await harness.until(
      'outreach.requested attempt 2',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 2),
      { caseId: t.caseId },
    );
    expect(second.occurredAt).toBeGreaterThanOrEqual(sentAt + 3_000);
    const deliveredAt = Date.now();
    await publishReceipts([receipt(t.caseId, 2, 'DELIVERED', { occurredAt: deliveredAt })]);
    const third = await harness.until(
      'outreach.requested attempt 3',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 3),
      { caseId: t.caseId, timeoutMs: 15_000 },
    );
    // The gap between the reminders (5 s − 3 s) after attempt 2 was delivered.
    expect(third.occurredAt).toBeGreaterThanOrEqual(deliveredAt + 2_000);

    const expired = await harness.waitForState(t.caseId, ['EXPIRED']);
    const view = (await harness.getCase(t.caseId))!;
    const timers = view.timers.filter((x) => x.kind === 'REMINDER' || x.kind === 'EXPIRY');
    expect(timers).toHaveLength(3);
    for (const timer of timers) {
      expect({ timer: timer.timerId, fired: timer.firedAt !== null }).toEqual({
        timer: timer.timerId,
        fired: true,
      });
      expect(
        view.timeline.filter((e) => e.kind === 'timer.fired' && e.detail['timerId'] === timer.timerId),
      ).toHaveLength(1);
    }
    expect(
      view.timeline.filter((e) => e.kind === 'outreach.requested').map((e) => e.detail['attempt']),
    ).toEqual([1, 2, 3]);
    // kyc-refresh's channels are EMAIL then SMS; the third attempt wraps round.
    const outreach = harness.observed.outreachOf(t.caseId);
    const byAttempt = new Map(outreach.map((o) => [o.attempt, o.channel]));
    expect([1, 2, 3].map((a) => byAttempt.get(a))).toEqual(['EMAIL', 'SMS', 'EMAIL']);
    expect(new Set(outreach.map((o) => o.eventId)).size).toBe(3);
    expect(expired.exceptions).toEqual([expect.objectContaining({ kind: 'EXPIRED', status: 'OPEN' })]);
  });

  it('a REMINDER due before attempt 1 was sent (e.g. held for quiet hours) does not send attempt 2; the send starts its clock', async () => {
    const t = kycTrigger();
    await publishTriggers([t]);
    const opened = await harness.waitForState(t.caseId, ['OUTREACH']);
    expect(opened.timers.map((x) => x.kind)).toEqual(['EXPIRY']);
    // A reminder due now, as a fixed-delay cadence would have scheduled it 3 s after the first message.
    await query(
      `INSERT INTO case_timer (timer_id, case_id, kind, due_at, payload) VALUES ($1, $2, 'REMINDER', now(), '{"attempt": 2}')`,
      [`tmr_${t.caseId}_reminder_2`, t.caseId],
    );
    const held = await harness.until(
      'the reminder to wait for attempt 1',
      async () => {
        const view = await harness.getCase(t.caseId);
        return view?.timeline.some((e) => e.kind === 'timer.rearmed') ? view : undefined;
      },
      { caseId: t.caseId },
    );
    expect(held.timers.find((x) => x.kind === 'REMINDER')).toMatchObject({
      firedAt: null,
      cancelledAt: null,
    });
    // Past the first reminder's delay from the case's start, with no receipt: still no attempt 2.
    await new Promise((r) => setTimeout(r, 3_500));
    // (The relay publishes at least once: the observer may see attempt 1's request twice, one event id.)
    expect(new Set(harness.observed.outreachOf(t.caseId).map((o) => o.attempt))).toEqual(new Set([1]));

    const sentAt = Date.now();
    await publishReceipts([receipt(t.caseId, 1, 'SENT', { channel: 'EMAIL', occurredAt: sentAt })]);
    const second = await harness.until(
      'outreach.requested attempt 2, 3 s after attempt 1 was sent',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 2),
      { caseId: t.caseId },
    );
    expect(second.channel).toBe('SMS');
    expect(second.occurredAt).toBeGreaterThanOrEqual(sentAt + 3_000);
    const view = (await harness.getCase(t.caseId))!;
    expect(view.timeline.filter((e) => e.kind === 'outreach.requested')).toHaveLength(2);
  });

  it('FAILED on attempt 1 → attempt 2 at once on the next channel; FAILED on the last → UNREACHABLE', async () => {
    // failed-payment-recovery: SMS, EMAIL, WHATSAPP; the patient cadence has one reminder 600 s out.
    const t = trigger('failed-payment-recovery');
    await publishTriggers([t]);
    await harness.until(
      'outreach.requested attempt 1',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 1),
      { caseId: t.caseId },
    );
    const failedAt = Date.now();
    await publishReceipts([receipt(t.caseId, 1, 'FAILED', { reason: 'number not in service' })]);
    const second = await harness.until(
      'outreach.requested attempt 2 right after the failure',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 2),
      { caseId: t.caseId, timeoutMs: 15_000 },
    );
    expect(second).toMatchObject({ channel: 'EMAIL', outreachId: `out_${t.caseId}_2` });
    expect(second.occurredAt - failedAt).toBeLessThan(15_000);
    const moved = (await harness.getCase(t.caseId))!;
    expect(moved.state).toBe('OUTREACH');
    expect(moved.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['outreach.failed', 'outreach.next_attempt_early']),
    );

    await publishReceipts([
      receipt(t.caseId, 2, 'FAILED', { channel: 'EMAIL', reason: 'mailbox unavailable' }),
    ]);
    const view = await harness.waitForState(t.caseId, ['EXCEPTION']);
    expect(view.exceptions).toEqual([expect.objectContaining({ kind: 'UNREACHABLE', status: 'OPEN' })]);
    for (const timer of view.timers) expect(timer.cancelledAt).not.toBeNull();
    expect(new Set(harness.observed.outreachOf(t.caseId).map((o) => o.attempt))).toEqual(new Set([1, 2]));
  });

  it('SUPPRESSED for no consent → UNREACHABLE exception, reminders cancelled; an agent hands it back once consent is got', async () => {
    const t = trigger('failed-payment-recovery');
    await publishTriggers([t]);
    await harness.until(
      'outreach.requested attempt 1',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 1),
      { caseId: t.caseId },
    );
    await publishReceipts([receipt(t.caseId, 1, 'SUPPRESSED', { reason: 'SUPPRESSED_NO_CONSENT' })]);
    const view = await harness.waitForState(t.caseId, ['EXCEPTION']);
    const exception = view.exceptions.find((e) => e.kind === 'UNREACHABLE');
    expect(exception).toMatchObject({ status: 'OPEN' });
    expect(exception!.context).toMatchObject({
      messaging: { status: 'SUPPRESSED', reason: 'SUPPRESSED_NO_CONSENT' },
    });
    for (const timer of view.timers) expect(timer.cancelledAt).not.toBeNull();
    const [row] = await query<{ queue: string; priority: string }>(
      `SELECT queue, priority FROM exception_item WHERE exception_id = $1`,
      [exception!.exceptionId],
    );
    expect(row).toEqual({ queue: 'collections-servicing', priority: 'high' });
    expect(new Set(harness.observed.outreachOf(t.caseId).map((o) => o.attempt))).toEqual(new Set([1]));

    const handedBack = await harness.api(`/v1/exceptions/${exception!.exceptionId}/resolve`, {
      method: 'POST',
      body: { resolution: 'hand_back', note: 'consent to SMS confirmed by phone' },
    });
    expect(handedBack.status).toBe(200);
    const again = await harness.until(
      'outreach.requested attempt 2 after the hand-back',
      () => harness.observed.outreachOf(t.caseId).find((o) => o.attempt === 2),
      { caseId: t.caseId },
    );
    expect(again.channel).toBe('EMAIL');
  });
});
