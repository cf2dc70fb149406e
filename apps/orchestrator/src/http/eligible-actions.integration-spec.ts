import { randomUUID } from 'node:crypto';
import { Topics, type CaseTriggered, type MiniappAction, type OutreachEvent } from '@closeout/contracts';
import { OrchestratorHarness } from '../test-support/orchestrator-harness';

/**
 * GET /v1/cases/:caseId/eligible-actions through the orchestrator's HTTP API, on cases it opened from real
 * case.triggered.v1 events (real Kafka, registry and PostgreSQL): what the mini-app may offer, and how the mini-app's
 * verification lock (identity.locked) ends self-service on the case.
 */
const harness = new OrchestratorHarness();
const run = harness.run;
let n = 0;

function trigger(): CaseTriggered {
  n += 1;
  const caseId = `case-ea-${run}-${n}`;
  return {
    eventId: `trg-ea-${run}-${n}`,
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    workflowId: 'failed-payment-recovery',
    source: {
      system: 'core-billing',
      eventId: `up-ea-${run}-${n}`,
      eventType: 'billing.payment_failed',
      mappingVersion: '1',
      payloadRef: 'b'.repeat(64),
    },
    customer: {
      customerId: `cus-ea-${run}-${n}`,
      accountId: `41${String(n).padStart(8, '0')}`,
      locale: 'en-GB',
      timeZone: 'Europe/London',
    },
    amount: { amountMinor: 4599, currency: 'GBP' },
    attributes: { declineReason: 'insufficient_funds' },
  };
}

async function openAndReach(t: CaseTriggered): Promise<void> {
  await harness.kafka.publisher.publish(Topics.caseTriggered, { caseId: t.caseId }, t, {
    correlationId: t.correlationId,
  });
  await harness.waitForState(t.caseId, ['OUTREACH']);
  const delivered: OutreachEvent = {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: t.correlationId,
    causationId: null,
    caseId: t.caseId,
    outreachId: `out_${t.caseId}_1`,
    channel: 'SMS',
    status: 'DELIVERED',
    providerRef: `sms-${t.caseId}`,
    reason: null,
    fallbackChannel: null,
    link: null,
  };
  await harness.kafka.publisher.publish(Topics.outreachEvent, { caseId: t.caseId }, delivered, {
    correlationId: t.correlationId,
  });
  await harness.waitForState(t.caseId, ['AWAITING_CUSTOMER']);
}

function locked(t: CaseTriggered, reason: string): MiniappAction {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: t.correlationId,
    causationId: null,
    idempotencyKey: `lock-${t.caseId}`,
    caseId: t.caseId,
    workflowId: t.workflowId,
    actionId: 'identity.locked',
    action: 'identity.locked',
    identityMethod: 'NONE',
    consentRef: null,
    sessionRef: `sess-${t.caseId}`,
    parameters: { reason },
  };
}

beforeAll(async () => {
  await harness.prepare();
  await harness.start();
});

afterAll(async () => {
  await harness.close();
});

describe('GET /v1/cases/:caseId/eligible-actions (real case in PostgreSQL, through the HTTP API)', () => {
  it('a case awaiting the customer: its eligible actions with labels, identity and flattened parameter rules', async () => {
    const t = trigger();
    await openAndReach(t);
    const res = await harness.api(`/v1/cases/${t.caseId}/eligible-actions`);
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/json');
    expect(res.body).toEqual({
      caseId: t.caseId,
      workflowId: 'failed-payment-recovery',
      definitionVersion: '1',
      state: 'AWAITING_CUSTOMER',
      awaitingCustomer: true,
      identity: { method: 'OTP_AND_KNOWN_FACT' },
      amount: { amountMinor: 4599, currency: 'GBP' },
      actions: [
        {
          actionId: 'pay-now',
          action: 'payment.authorize',
          label: 'Pay the missed amount now',
          identity: 'OTP_AND_KNOWN_FACT',
          parameterRules: [{ field: 'paymentMethodToken', operator: 'present', value: true }],
        },
        {
          actionId: 'update-card',
          action: 'card.update',
          label: 'Replace your card and retry the payment',
          identity: 'OTP_AND_KNOWN_FACT',
          parameterRules: [
            { field: 'cardToken', operator: 'present', value: true },
            { field: 'expiryMonth', operator: 'numberGreaterThanInclusive', value: 1 },
            { field: 'expiryMonth', operator: 'numberLessThanInclusive', value: 12 },
            { field: 'expiryYear', operator: 'numberGreaterThanInclusive', value: 2025 },
            { field: 'expiryYear', operator: 'numberLessThanInclusive', value: 2099 },
          ],
        },
        {
          actionId: 'pay-by-bank-transfer',
          action: 'payment.bank_transfer',
          label: 'Pay by bank transfer',
          identity: 'OTP_AND_KNOWN_FACT',
          parameterRules: [{ field: 'paymentMethodToken', operator: 'present', value: true }],
        },
      ],
    });
  });

  it('identity.locked: the case goes to EXCEPTION as VERIFICATION_FAILED, and the mini-app is offered nothing more', async () => {
    const t = trigger();
    await openAndReach(t);
    const lock = locked(t, 'known-fact-attempts');
    // A redelivery of the same event changes nothing more.
    for (let delivery = 0; delivery < 2; delivery += 1) {
      await harness.kafka.publisher.publish(Topics.miniappAction, { caseId: t.caseId }, lock, {
        correlationId: t.correlationId,
      });
    }
    const view = await harness.waitForState(t.caseId, ['EXCEPTION']);
    expect(view.exceptions).toEqual([
      expect.objectContaining({
        kind: 'VERIFICATION_FAILED',
        status: 'OPEN',
        context: expect.objectContaining({
          customerDid: { action: 'identity.locked', reason: 'known-fact-attempts', identityMethod: 'NONE' },
          whatWasTried: expect.objectContaining({ identityRequired: 'OTP_AND_KNOWN_FACT' }),
        }),
      }),
    ]);
    for (const timer of view.timers.filter((x) => x.kind === 'REMINDER' || x.kind === 'EXPIRY'))
      expect(timer.cancelledAt ?? timer.firedAt).not.toBeNull();

    const queue = await harness.api(
      '/v1/exceptions?status=OPEN&kind=VERIFICATION_FAILED&queue=collections-servicing',
    );
    expect(queue.body).toMatchObject({
      items: expect.arrayContaining([expect.objectContaining({ caseId: t.caseId, priority: 'high' })]),
    });

    const res = await harness.api(`/v1/cases/${t.caseId}/eligible-actions`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'EXCEPTION', awaitingCustomer: false, actions: [] });

    await harness.until(
      'the identity.locked audit event',
      () => harness.observed.auditOf(t.caseId).find((a) => a.action === 'identity.locked'),
      { caseId: t.caseId },
    );
    const after = (await harness.getCase(t.caseId))!;
    expect(after.timeline.filter((e) => e.kind === 'identity.locked')).toHaveLength(1);
    expect(after.exceptions).toHaveLength(1);
  });

  it('an unknown case: 404 problem; a malformed id: 400 naming caseId; no token: 401', async () => {
    const unknown = await harness.api(`/v1/cases/case-ea-${run}-none/eligible-actions`);
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ errors: [{ field: 'caseId', rule: 'no case has this id' }] });

    const malformed = await harness.api(`/v1/cases/${encodeURIComponent('case one;drop')}/eligible-actions`);
    expect(malformed.status).toBe(400);
    expect(malformed.contentType).toContain('application/problem+json');
    expect(malformed.body).toMatchObject({ errors: [{ field: 'caseId' }] });
    expect(JSON.stringify(malformed.body)).not.toContain('drop');

    const tooLong = await harness.api(`/v1/cases/${'c'.repeat(129)}/eligible-actions`);
    expect(tooLong.status).toBe(400);

    const anonymous = await harness.api(`/v1/cases/case-ea-${run}-none/eligible-actions`, { token: null });
    expect(anonymous.status).toBe(401);
  });
});
