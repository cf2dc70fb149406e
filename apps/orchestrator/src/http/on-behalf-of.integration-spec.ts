import { Topics, type CaseTriggered } from '@closeout/contracts';
import { OrchestratorHarness } from '../test-support/orchestrator-harness';

/**
 * A tool that signs its own operators in (the ops console) resolves exceptions for them: its principal, and only a
 * principal of ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS, may name the agent in `X-On-Behalf-Of`; the agent named is the
 * resolver and the audit actor, the tool is recorded as `via`. Real Kafka, registry and PostgreSQL.
 */
const consoleToken = `it-ops-console-${Date.now()}-0123456789`;
const harness = new OrchestratorHarness(
  {},
  { ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS: 'ops-console' },
  { 'ops-console': consoleToken },
);
const run = harness.run;
let n = 0;

/** A failed payment with no account: no action is eligible, so the case goes straight to the queue (INELIGIBLE). */
function ineligible(): CaseTriggered {
  n += 1;
  const caseId = `case-obo-${run}-${n}`;
  return {
    eventId: `trg-obo-${run}-${n}`,
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    workflowId: 'failed-payment-recovery',
    source: {
      system: 'core-billing',
      eventId: `up-obo-${run}-${n}`,
      eventType: 'billing.payment_failed',
      mappingVersion: '1',
      payloadRef: 'b'.repeat(64),
    },
    customer: {
      customerId: `cus-obo-${run}-${n}`,
      accountId: null,
      locale: 'en-GB',
      timeZone: 'Europe/London',
    },
    amount: { amountMinor: 4599, currency: 'GBP' },
    attributes: { declineReason: 'insufficient_funds' },
  };
}

async function openException(): Promise<{ caseId: string; exceptionId: string }> {
  const t = ineligible();
  await harness.kafka.publisher.publish(Topics.caseTriggered, { caseId: t.caseId }, t, {
    correlationId: t.correlationId,
  });
  const view = await harness.waitForState(t.caseId, ['EXCEPTION']);
  const item = view.exceptions.find((e) => e.kind === 'INELIGIBLE');
  expect(item).toBeDefined();
  // What an agent may do with it, listed with the item (the table the resolve route checks).
  expect((item as unknown as { allowedResolutions: string[] }).allowedResolutions).toEqual(['close']);
  return { caseId: t.caseId, exceptionId: item!.exceptionId };
}

const close = { resolution: 'close', note: 'customer closed the account by phone' };

beforeAll(async () => {
  await harness.prepare();
  await harness.start();
});

afterAll(async () => {
  await harness.close();
});

describe('POST /v1/exceptions/:id/resolve on behalf of an agent', () => {
  it('the console names the agent: the agent resolves and is the audit actor, the console is recorded as via', async () => {
    const { caseId, exceptionId } = await openException();
    const res = await harness.api(`/v1/exceptions/${exceptionId}/resolve`, {
      method: 'POST',
      token: consoleToken,
      headers: { 'x-on-behalf-of': 'alice.ops' },
      body: close,
    });
    expect(res).toMatchObject({ status: 200, body: { caseId, state: 'CLOSED' } });
    const resolved = await harness.api('/v1/exceptions?status=RESOLVED&kind=INELIGIBLE&limit=500');
    const item = (
      resolved.body as { items: { exceptionId: string; resolution: Record<string, unknown> }[] }
    ).items.find((i) => i.exceptionId === exceptionId);
    expect(item?.resolution).toMatchObject({ resolution: 'close', by: 'alice.ops', via: 'ops-console' });
    // The audit event is written with the resolution, in the same transaction (the outbox relay publishes it).
    const audit = (await harness.running.db.query(
      `SELECT value FROM "${harness.schema}".outbox
       WHERE topic = $1 AND value->>'action' = 'exception.resolved' AND value->>'caseId' = $2`,
      [Topics.auditEvent, caseId],
    )) as { value: { actor: { type: string; id: string }; reason: string } }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]!.value.actor).toMatchObject({ type: 'AGENT', id: 'alice.ops' });
    expect(audit[0]!.value.reason).toContain('close by alice.ops via ops-console');
  });

  it('an agent token may not name another agent (403); a malformed agent is 400 naming the header; nothing is resolved', async () => {
    const { exceptionId } = await openException();
    const asAgent = await harness.api(`/v1/exceptions/${exceptionId}/resolve`, {
      method: 'POST',
      headers: { 'x-on-behalf-of': 'alice.ops' },
      body: close,
    });
    expect(asAgent.status).toBe(403);
    expect(asAgent.body).toMatchObject({ errors: [{ field: 'X-On-Behalf-Of' }] });
    const malformed = await harness.api(`/v1/exceptions/${exceptionId}/resolve`, {
      method: 'POST',
      token: consoleToken,
      headers: { 'x-on-behalf-of': 'alice ops; drop' },
      body: close,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ errors: [{ field: 'X-On-Behalf-Of' }] });
    const mismatch = await harness.api(`/v1/exceptions/${exceptionId}/resolve`, {
      method: 'POST',
      token: consoleToken,
      headers: { 'x-on-behalf-of': 'alice.ops' },
      body: { ...close, agentId: 'bob' },
    });
    expect(mismatch.status).toBe(403);
    const open = await harness.api('/v1/exceptions?status=OPEN&kind=INELIGIBLE&limit=500');
    expect(
      (open.body as { items: { exceptionId: string }[] }).items.some((i) => i.exceptionId === exceptionId),
    ).toBe(true);
  });
});
