import { validate } from '@readme/openapi-parser';
import { Topics, type CaseTriggered } from '@closeout/contracts';
import { documentedRoutes, registeredRoutes, responseProblems } from '@closeout/platform';
import { OrchestratorHarness } from '../test-support/orchestrator-harness';
import { orchestratorOpenApi as doc } from './openapi';

/** The orchestrator's OpenAPI document against the running service (devstack Kafka, registry, PostgreSQL). */
const harness = new OrchestratorHarness();
const run = harness.run;

function trigger(): CaseTriggered {
  const caseId = `case-oas-${run}`;
  return {
    eventId: `trg-oas-${run}`,
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    caseId,
    workflowId: 'failed-payment-recovery',
    source: {
      system: 'core-billing',
      eventId: `up-oas-${run}`,
      eventType: 'billing.payment_failed',
      mappingVersion: '1',
      payloadRef: 'b'.repeat(64),
    },
    customer: {
      customerId: `cus-oas-${run}`,
      accountId: '4100000001',
      locale: 'en-GB',
      timeZone: 'Europe/London',
    },
    amount: { amountMinor: 4599, currency: 'GBP' },
    attributes: { declineReason: 'insufficient_funds' },
  };
}

describe('the orchestrator serves an OpenAPI 3.1 document that matches what it answers', () => {
  beforeAll(async () => {
    await harness.prepare();
    await harness.start();
  }, 120_000);

  afterAll(async () => {
    await harness.close();
  });

  const check = (operation: string, r: { status: number; contentType: string | null; body: unknown }) =>
    responseProblems(doc, operation, r.status, r.contentType ?? '', r.body);

  it('is a valid OpenAPI document, served at GET /openapi.json', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    const served = await harness.api('/openapi.json', { token: null });
    expect(served.status).toBe(200);
    expect(served.body).toEqual(doc);
  });

  it('documents every route the app registers, and no other', () => {
    const routes = registeredRoutes(harness.running.app);
    expect(routes).toEqual(
      expect.arrayContaining(['GET /v1/cases/{caseId}', 'POST /v1/exceptions/{exceptionId}/resolve']),
    );
    expect(documentedRoutes(doc)).toEqual(routes);
  });

  it('describes real answers: a case, its eligible actions, the queue, and 400, 401, 404 problems', async () => {
    const t = trigger();
    await harness.kafka.publisher.publish(Topics.caseTriggered, { caseId: t.caseId }, t, {
      correlationId: t.correlationId,
    });
    await harness.waitForState(t.caseId, ['OUTREACH']);

    const found = await harness.api(`/v1/cases/${t.caseId}`);
    expect(found.status).toBe(200);
    expect(check('GET /v1/cases/{caseId}', found)).toEqual([]);
    const actions = await harness.api(`/v1/cases/${t.caseId}/eligible-actions`);
    expect(actions.status).toBe(200);
    expect(check('GET /v1/cases/{caseId}/eligible-actions', actions)).toEqual([]);
    const queue = await harness.api('/v1/exceptions?status=OPEN&limit=5');
    expect(queue.status).toBe(200);
    expect(check('GET /v1/exceptions', queue)).toEqual([]);

    const badFilter = await harness.api('/v1/exceptions?limit=abc');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body).toMatchObject({ errors: [{ field: 'limit' }] });
    expect(check('GET /v1/exceptions', badFilter)).toEqual([]);
    const badBody = await harness.api(`/v1/exceptions/exc-${run}/resolve`, {
      method: 'POST',
      body: { resolution: 'nothing', note: 'x' },
    });
    expect(badBody.status).toBe(400);
    expect(check('POST /v1/exceptions/{exceptionId}/resolve', badBody)).toEqual([]);
    const missing = await harness.api(`/v1/cases/case-none-${run}`);
    expect(missing.status).toBe(404);
    expect(check('GET /v1/cases/{caseId}', missing)).toEqual([]);
    const anonymous = await harness.api(`/v1/cases/${t.caseId}`, { token: null });
    expect(anonymous.status).toBe(401);
    expect(check('GET /v1/cases/{caseId}', anonymous)).toEqual([]);
  }, 120_000);
});
