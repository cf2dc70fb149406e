/**
 * End to end through trigger-ingest, the orchestrator and the three writeback services against the devstack and the
 * simulated cores (with faults): an upstream event becomes a completed case with every writeback applied exactly
 * once in the cores and each step in the audit trail. Customer actions are published as miniapp.action events by
 * the test, standing in for the mini-app; delivery receipts likewise stand in for messaging.
 */
import { randomUUID } from 'node:crypto';
import type { OutreachEvent } from '@closeout/contracts';
import { Topics } from '@closeout/contracts';
import { idempotencyKey } from '@closeout/writeback-domain';
import { devstackEnv } from '../devstack/devstack-env';
import { CaseStack, type CaseView } from './case-stack';
import { customerAction, SAMPLES, type Sample } from './samples';

jest.setTimeout(300_000);

let stack: CaseStack;
const run = randomUUID().slice(0, 8);
let n = 0;

beforeAll(async () => {
  stack = await new CaseStack({
    env: devstackEnv(),
    restFaults: [
      { mode: 'error_5xx', rate: 0.15 },
      { mode: 'commit_then_timeout', rate: 0.1 },
      { mode: 'rate_limited', rate: 0.1, retryAfterSeconds: 1 },
    ],
    soapFaults: [
      { mode: 'vendor_transient', rate: 0.15 },
      { mode: 'vendor_ambiguous', rate: 0.1 },
    ],
    sftpFaults: [{ mode: 'delay_receipt', rate: 0.3, delayMs: 300 }],
    log: (line) => console.log(line),
  }).start();
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

// A test whose expectations sit in a loop over what an earlier step produced must not pass by checking nothing.
beforeEach(() => {
  expect.hasAssertions();
});

function upstream(
  sample: Sample,
  overrides: { customerId?: string; attributes?: Record<string, string>; amount?: Sample['amount'] } = {},
) {
  n += 1;
  return {
    sourceSystem: 'core-billing',
    eventId: `it-${run}-${n}`,
    eventType: sample.eventType,
    occurredAt: new Date().toISOString(),
    customer: {
      customerId: overrides.customerId ?? `cus-${run}-${n}`,
      accountId: `40${String(n).padStart(8, '0')}`,
      timeZone: 'Europe/London',
    },
    ...((overrides.amount ?? sample.amount) ? { amount: overrides.amount ?? sample.amount } : {}),
    attributes: { ...sample.attributes, ...overrides.attributes },
  };
}

async function openCase(
  sample: Sample,
  overrides: Parameters<typeof upstream>[1] = {},
): Promise<{ caseId: string; event: ReturnType<typeof upstream> }> {
  const event = upstream(sample, overrides);
  const res = await stack.postTrigger(event);
  expect(res.status).toBe(202);
  return { caseId: res.body.caseId!, event };
}

const action = customerAction;

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

/** Postings per idempotency key across the three simulated cores. */
function postingsByKey(): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string | null) => key && counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const e of stack.rest.journal()) add(e.idempotencyKey);
  for (const e of stack.soap.journal()) add(e.idempotencyKey);
  for (const e of stack.sftp.journal()) add(e.idempotencyKey);
  return counts;
}

async function firstOutreach(caseId: string): Promise<string> {
  expect(await stack.until(() => stack.observed.outreachOf(caseId).length > 0)).toBe(true);
  return stack.observed.outreachOf(caseId)[0]!.outreachId;
}

describe('a trigger becomes a completed case', () => {
  /**
   * Every seed workflow's sample taken to COMPLETED. Each test of this block asks for it, so each runs alone (with
   * `-t`) as well as after the others; run together they share one set of cases rather than opening three.
   */
  let completing: Promise<{ view: CaseView; sample: Sample }[]> | undefined;
  const completedCases = () => (completing ??= completeEverySample());

  async function completeEverySample(): Promise<{ view: CaseView; sample: Sample }[]> {
    const opened = await Promise.all(SAMPLES.map(async (s) => ({ sample: s, ...(await openCase(s)) })));
    for (const { caseId, sample } of opened) {
      const outreachId = await firstOutreach(caseId);
      await stack.publish(Topics.outreachEvent, [delivered(caseId, outreachId)]);
      await stack.publish(Topics.miniappAction, [action(caseId, sample)]);
    }
    const done: { view: CaseView; sample: Sample }[] = [];
    for (const { caseId, sample } of opened)
      done.push({ view: await stack.waitForState(caseId, ['COMPLETED'], 120_000), sample });
    return done;
  }

  test('each seed workflow: upstream event → outreach → customer action → every writeback applied exactly once → COMPLETED', async () => {
    const cases = await completedCases();
    expect(cases).toHaveLength(SAMPLES.length);
    const completed = cases.map((c) => c.view);
    for (const { view, sample } of cases) {
      expect(view.workflowId).toBe(sample.workflowId);
      const live = view.writebacks.filter((w) => !w.superseded);
      expect(live.length).toBeGreaterThan(0);
      for (const w of live) {
        expect(w.status).toBe('APPLIED');
        expect(w.providerRef).toBeTruthy();
      }
    }
    const postings = postingsByKey();
    const keys = completed.flatMap((v) => v.writebacks.map((w) => w.idempotencyKey));
    // Across REST, SOAP and SFTP: kyc and document over REST, plan and address over SOAP, the transfer over SFTP.
    expect(new Set(completed.flatMap((v) => v.writebacks.map((w) => w.destination)))).toEqual(
      new Set(['core-banking-rest', 'core-banking-soap', 'core-banking-sftp']),
    );
    for (const key of keys) expect({ key, postings: postings.get(key) ?? 0 }).toEqual({ key, postings: 1 });
  });

  test('the audit trail holds each step of every case, from the trigger to the proof', async () => {
    const steps = [
      'trigger.accepted',
      'case.opened',
      'action.offered',
      'outreach.requested',
      'action.accepted',
      'writeback.requested',
      'writeback.applied',
      'case.completed',
      'case.proof',
    ];
    const completed = (await completedCases()).map((c) => c.view);
    expect(completed).toHaveLength(SAMPLES.length);
    for (const view of completed) {
      expect(
        await stack.until(
          () => steps.every((s) => stack.observed.auditOf(view.caseId).some((a) => a.action === s)),
          20_000,
        ),
      ).toBe(true);
      const trail = stack.observed.auditOf(view.caseId);
      const accepted = trail.find((a) => a.action === 'action.accepted')!;
      expect(accepted.actor.type).toBe('CUSTOMER');
      expect(accepted.references['identityMethod']).toBe('OTP_AND_KNOWN_FACT');
      expect(accepted.references['consentRef']).toBe(`consent-${view.caseId}`);
      expect(accepted.versions['definitionVersion']).toBe('1');
      expect(accepted.references['ruleId']).toContain(`${view.workflowId}@v1/actions/`);
      // The writeback service audits what the core answered, under the same correlation id.
      expect(trail.some((a) => a.service.includes('writeback-') && a.references['providerRef'])).toBe(true);
      const completedEvent = trail.find((a) => a.action === 'case.completed')!;
      expect(completedEvent.references['sourceEventId']).toBeTruthy();
    }
  });

  test('the case.state stream carries the required and applied writeback keys on completion', async () => {
    const completed = (await completedCases()).map((c) => c.view);
    expect(completed).toHaveLength(SAMPLES.length);
    for (const view of completed) {
      // case.state travels through the outbox and Kafka: it may arrive a moment after the API shows COMPLETED.
      await stack.until(
        () => stack.observed.states.some((s) => s.caseId === view.caseId && s.state === 'COMPLETED'),
        20_000,
      );
      const done = stack.observed.states.find((s) => s.caseId === view.caseId && s.state === 'COMPLETED');
      expect(done).toBeDefined();
      const keys = view.writebacks
        .filter((w) => !w.superseded)
        .map((w) => w.idempotencyKey)
        .sort();
      expect([...done!.requiredWritebacks].sort()).toEqual(keys);
      expect([...done!.appliedWritebacks].sort()).toEqual(keys);
    }
  });
});

describe('duplicates change nothing', () => {
  test('a redelivered upstream event and redelivered or resubmitted customer actions post nothing twice', async () => {
    const sample = SAMPLES[4]!;
    const { caseId, event } = await openCase(sample);
    const again = await stack.postTrigger(event);
    expect(again).toMatchObject({ status: 200, body: { caseId, duplicate: true } });

    await firstOutreach(caseId);
    const first = action(caseId, sample);
    await stack.publish(Topics.miniappAction, [first, first]);
    await stack.waitForState(caseId, ['COMPLETED'], 60_000);
    // The same business action again, as a new event (a double tap in the mini-app), and the original redelivered.
    await stack.publish(Topics.miniappAction, [{ ...first, eventId: randomUUID() }, first]);
    expect(
      await stack.until(
        () => stack.observed.auditOf(caseId).some((a) => a.action === 'action.duplicate'),
        20_000,
      ),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));

    const view = (await stack.getCase(caseId))!;
    expect(view.state).toBe('COMPLETED');
    expect(view.timeline.filter((e) => e.kind === 'action.accepted')).toHaveLength(1);
    expect(view.timeline.filter((e) => e.kind === 'case.opened')).toHaveLength(1);
    // Delivery is at least once (a relay may resend after a crash): what counts is that no new request was made.
    expect(new Set(stack.observed.requestsOf(caseId).map((r) => r.eventId)).size).toBe(
      view.writebacks.length,
    );
    expect(new Set(stack.observed.requestsOf(caseId).map((r) => r.idempotencyKey))).toEqual(
      new Set(view.writebacks.map((w) => w.idempotencyKey)),
    );
    const postings = postingsByKey();
    for (const w of view.writebacks) expect(postings.get(w.idempotencyKey)).toBe(1);
  });
});

describe('durable timers', () => {
  test('restarting the orchestrator mid-case loses no timer and fires none twice', async () => {
    const sample = SAMPLES[2]!;
    const { caseId } = await openCase(sample);
    // Standing in for messaging: every attempt is reported delivered once it is requested, as a customer who never
    // answers; each reminder is scheduled from the previous attempt's receipt.
    const answered = new Set<string>();
    const receipts = setInterval(() => {
      for (const o of stack.observed.outreachOf(caseId)) {
        if (answered.has(o.outreachId)) continue;
        answered.add(o.outreachId);
        void stack.publish(Topics.outreachEvent, [delivered(caseId, o.outreachId)]);
      }
    }, 200);
    try {
      await firstOutreach(caseId);
      // Down before the first reminder (3 s after the first receipt) is due: it comes due while the orchestrator is
      // down and fires once after the restart; the second follows the second attempt's receipt, the expiry (30 s
      // after the start) the third.
      await new Promise((r) => setTimeout(r, 500));
      await stack.kill('orchestrator');
      await new Promise((r) => setTimeout(r, 4_000));
      await stack.restart('orchestrator');
      await assertTimersOnce(caseId);
    } finally {
      clearInterval(receipts);
    }
  });
});

async function assertTimersOnce(caseId: string): Promise<void> {
  const view = await stack.waitForState(caseId, ['EXPIRED'], 60_000);
  // The messages follow the commit through the outbox: give the last reminder a moment to arrive.
  await stack.until(() => new Set(stack.observed.outreachOf(caseId).map((o) => o.attempt)).size >= 3, 15_000);
  const outreach = stack.observed.outreachOf(caseId);
  expect([...new Set(outreach.map((o) => o.attempt))].sort()).toEqual([1, 2, 3]);
  // A relay resending after the kill may repeat a message, never with a new identity: one event id per outreach.
  for (const id of new Set(outreach.map((o) => o.outreachId))) {
    expect(new Set(outreach.filter((o) => o.outreachId === id).map((o) => o.eventId)).size).toBe(1);
  }
  // kyc-refresh's channel order is EMAIL then SMS; the third attempt wraps round to the first channel.
  const byAttempt = new Map(outreach.map((o) => [o.attempt, o.channel]));
  expect([1, 2, 3].map((a) => byAttempt.get(a))).toEqual(['EMAIL', 'SMS', 'EMAIL']);
  const timers = view.timers.filter((t) => t.kind === 'REMINDER' || t.kind === 'EXPIRY');
  expect(timers).toHaveLength(3);
  for (const t of timers) {
    expect(t.firedAt).not.toBeNull();
    expect(
      view.timeline.filter((e) => e.kind === 'timer.fired' && e.detail['timerId'] === t.timerId),
    ).toHaveLength(1);
  }
  expect(view.exceptions).toEqual([expect.objectContaining({ kind: 'EXPIRED', status: 'OPEN' })]);
}

describe('eligibility', () => {
  test('an action whose parameters break the rules is refused and audited, and nothing is written back', async () => {
    const sample = SAMPLES[1]!;
    const { caseId } = await openCase(sample);
    await firstOutreach(caseId);
    await stack.publish(Topics.miniappAction, [
      action(caseId, { ...sample, parameters: { installments: '7', firstDueDate: '2027-01-15' } }),
    ]);
    expect(
      await stack.until(
        () => stack.observed.auditOf(caseId).some((a) => a.action === 'action.refused'),
        20_000,
      ),
    ).toBe(true);
    const refusal = stack.observed.auditOf(caseId).find((a) => a.action === 'action.refused')!;
    expect(refusal.outcome).toBe('DENIED');
    expect(refusal.references['ruleId']).toContain('payment-plan-setup@v1/actions/choose-plan');
    expect(refusal.reason).toMatch(/installments/);
    const view = (await stack.getCase(caseId))!;
    expect(['OUTREACH', 'AWAITING_CUSTOMER']).toContain(view.state);
    expect(view.writebacks).toHaveLength(0);
    expect(stack.observed.requestsOf(caseId)).toHaveLength(0);
  });

  test('an action withheld by the eligibility rules is not offered, and refused when taken anyway', async () => {
    const sample = SAMPLES[1]!;
    const { caseId } = await openCase(sample, { attributes: { arrearsDays: '400' } });
    await firstOutreach(caseId);
    const view = (await stack.getCase(caseId))!;
    const plan = view.offeredActions.find((o) => o.actionId === 'choose-plan')!;
    expect(plan).toMatchObject({
      eligible: false,
      ruleId: 'payment-plan-setup@v1/actions/choose-plan/eligibility',
    });
    expect(view.offeredActions.find((o) => o.actionId === 'pay-arrears')!.eligible).toBe(true);
    await stack.publish(Topics.miniappAction, [action(caseId, sample)]);
    expect(
      await stack.until(
        () => stack.observed.auditOf(caseId).some((a) => a.action === 'action.refused'),
        20_000,
      ),
    ).toBe(true);
    expect(
      stack.observed.auditOf(caseId).find((a) => a.action === 'action.refused')!.references['ruleId'],
    ).toBe('payment-plan-setup@v1/actions/choose-plan/eligibility');
    expect((await stack.getCase(caseId))!.writebacks).toHaveLength(0);
  });

  test('a customer with no eligible action goes to the exception queue, audited with the rules', async () => {
    const sample = SAMPLES[0]!;
    const { caseId } = await openCase(sample, { attributes: { declineReason: 'fraud_suspected' } });
    const view = await stack.waitForState(caseId, ['EXCEPTION'], 30_000);
    expect(view.exceptions).toEqual([expect.objectContaining({ kind: 'INELIGIBLE', status: 'OPEN' })]);
    expect(view.offeredActions.every((o) => !o.eligible)).toBe(true);
    expect(stack.observed.outreachOf(caseId)).toHaveLength(0);
  });
});

describe('the exception queue', () => {
  test('a destination degraded past the SLO ceiling queues the case; when the core recovers the writebacks land and the case completes', async () => {
    const sample = SAMPLES[2]!;
    const { caseId } = await openCase(sample);
    await firstOutreach(caseId);
    const faults = stack.rest.faults();
    stack.rest.setFaults({ mode: 'fail_all' });
    let degraded: CaseView;
    try {
      await stack.publish(Topics.miniappAction, [action(caseId, sample)]);
      // The seed's ceiling is PT2H; this stack's definitions use PT20S.
      degraded = await stack.waitForState(caseId, ['EXCEPTION'], 60_000);
    } finally {
      stack.rest.setFaults(...faults);
    }
    const exception = degraded.exceptions.find((e) => e.kind === 'DESTINATION_DEGRADED')!;
    expect(exception).toBeDefined();
    expect(exception.context['whatHappened']).toMatch(/not applied within the SLO ceiling PT20S/);
    expect(exception.context['whatWasTried']).toEqual(
      expect.arrayContaining([expect.objectContaining({ destination: 'core-banking-rest' })]),
    );
    expect(degraded.writebacks.every((w) => w.status !== 'APPLIED')).toBe(true);
    const done = await stack.waitForState(caseId, ['COMPLETED'], 90_000);
    expect(done.exceptions.find((e) => e.kind === 'DESTINATION_DEGRADED')!.status).toBe('RESOLVED');
    const postings = postingsByKey();
    for (const w of done.writebacks) expect(postings.get(w.idempotencyKey)).toBe(1);
  });

  test('a break the reconciler flags on a completed case reaches the queue, and an agent acknowledges it', async () => {
    const sample = SAMPLES[2]!;
    const { caseId } = await openCase(sample);
    await firstOutreach(caseId);
    await stack.publish(Topics.miniappAction, [action(caseId, sample)]);
    const view = await stack.waitForState(caseId, ['COMPLETED'], 60_000);
    const w = view.writebacks[0]!;
    const flag = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: caseId,
      causationId: null,
      commandId: randomUUID(),
      command: 'FLAG' as const,
      idempotencyKey: w.idempotencyKey,
      destination: w.destination,
      protocol: 'REST' as const,
      caseId,
      breakId: `brk-${run}`,
      reason: 'applied per the ledger but absent from the daily posting report',
      issuedBy: 'reconciler',
    };
    await stack.publish(Topics.writebackCommand, [flag, flag]);
    let flagged: { v: CaseView; e: CaseView['exceptions'][number] } | undefined;
    for (
      const deadline = Date.now() + 20_000;
      !flagged && Date.now() < deadline;
      await new Promise((r) => setTimeout(r, 200))
    ) {
      const v = (await stack.getCase(caseId))!;
      const e = v.exceptions.find((x) => x.kind === 'RECONCILIATION_BREAK');
      if (e) flagged = { v, e };
    }
    expect(flagged).toBeDefined();
    expect(flagged!.v.state).toBe('COMPLETED');
    expect(flagged!.v.exceptions.filter((x) => x.kind === 'RECONCILIATION_BREAK')).toHaveLength(1);
    expect(flagged!.e.context).toMatchObject({
      audit: { breakId: `brk-${run}` },
      whatWasTried: { idempotencyKey: w.idempotencyKey },
    });
    const retry = await stack.api(`/v1/exceptions/${flagged!.e.exceptionId}/resolve`, {
      method: 'POST',
      as: 'agent-3',
      body: { resolution: 'retry', agentId: 'agent-3', note: 'resend' },
    });
    expect(retry.status).toBe(409);
    const ack = await stack.api(`/v1/exceptions/${flagged!.e.exceptionId}/resolve`, {
      method: 'POST',
      as: 'agent-3',
      body: {
        resolution: 'close',
        agentId: 'agent-3',
        note: 'posting found under a manual journal; core corrected',
      },
    });
    expect(ack).toMatchObject({ status: 200, body: { caseId, state: 'COMPLETED' } });
  });

  test('a decline is queued with context, listed, and an agent closes it once', async () => {
    const sample = SAMPLES[3]!;
    const { caseId } = await openCase(sample);
    await firstOutreach(caseId);
    await stack.publish(Topics.miniappAction, [
      action(caseId, { ...sample, action: 'decline', parameters: { reason: 'moved abroad' } }),
    ]);
    await stack.waitForState(caseId, ['EXCEPTION'], 30_000);
    const list = await stack.api<{
      items: {
        exceptionId: string;
        caseId: string;
        kind: string;
        queue: string;
        context: Record<string, unknown>;
      }[];
    }>('/v1/exceptions?status=OPEN&kind=DECLINED&limit=500');
    const item = list.body.items.find((i) => i.caseId === caseId)!;
    expect(item).toMatchObject({ kind: 'DECLINED', queue: 'customer-records' });
    expect(item.context).toMatchObject({ customerDid: { action: 'decline', reason: 'moved abroad' } });
    expect(item.context['guidance']).toBeTruthy();

    const bad = await stack.api<{ errors: { field: string }[] }>(
      `/v1/exceptions/${item.exceptionId}/resolve`,
      {
        method: 'POST',
        as: 'agent-7',
        body: { resolution: 'retry', agentId: 'agent-7', note: 'try again' },
      },
    );
    expect(bad.status).toBe(409);
    expect(bad.body.errors[0]!.field).toBe('resolution');
    // The agent is the one the token names: agent-7's token cannot resolve in agent-3's name.
    const impersonation = await stack.api<{ errors: { field: string }[] }>(
      `/v1/exceptions/${item.exceptionId}/resolve`,
      { method: 'POST', as: 'agent-7', body: { resolution: 'close', agentId: 'agent-3', note: 'not mine' } },
    );
    expect(impersonation.status).toBe(403);
    expect(impersonation.body.errors[0]!.field).toBe('agentId');
    const ok = await stack.api(`/v1/exceptions/${item.exceptionId}/resolve`, {
      method: 'POST',
      as: 'agent-7',
      body: { resolution: 'close', note: 'customer moved abroad; letter sent' },
    });
    expect(ok).toMatchObject({ status: 200, body: { caseId, state: 'CLOSED' } });
    const twice = await stack.api(`/v1/exceptions/${item.exceptionId}/resolve`, {
      method: 'POST',
      as: 'agent-7',
      body: { resolution: 'close', agentId: 'agent-7', note: 'again' },
    });
    expect(twice.status).toBe(409);
    // The audit event travels through the outbox and Kafka: it arrives a moment after the API answered.
    const resolvedByAgent = () =>
      stack.observed
        .auditOf(caseId)
        .some(
          (a) => a.action === 'exception.resolved' && a.actor.type === 'AGENT' && a.actor.id === 'agent-7',
        );
    expect(await stack.until(resolvedByAgent, 20_000)).toBe(true);
  });

  test('a permanent writeback failure is queued with what was tried; an agent retry posts once under a new key and completes the case', async () => {
    const sample = SAMPLES[4]!;
    const customerId = `cus-${run}-reject`;
    const { caseId } = await openCase(sample, { customerId });
    const key = idempotencyKey({
      customerId,
      workflowId: sample.workflowId,
      operation: 'document.attach',
      sequence: caseId,
    });
    // Only this fault while the request is first sent: a random commit-then-timeout would post it before the 422.
    const faults = stack.rest.faults();
    stack.rest.setFaults({ mode: 'invalid_4xx', count: 1, match: { idempotencyKey: key } });
    try {
      await firstOutreach(caseId);
      await stack.publish(Topics.miniappAction, [action(caseId, sample)]);
      await stack.waitForState(caseId, ['EXCEPTION'], 60_000);
    } finally {
      stack.rest.setFaults(...faults);
    }

    const view = (await stack.getCase(caseId))!;
    const exception = view.exceptions.find((e) => e.kind === 'WRITEBACK_FAILED')!;
    expect(exception.context).toMatchObject({
      route: 'correction',
      whatWasTried: { destination: 'core-banking-rest', errorClass: 'VALIDATION', idempotencyKey: key },
      customerDid: { action: 'document.upload', identityMethod: 'OTP_AND_KNOWN_FACT' },
    });
    const res = await stack.api(`/v1/exceptions/${exception.exceptionId}/resolve`, {
      method: 'POST',
      as: 'agent-9',
      body: { resolution: 'retry', agentId: 'agent-9', note: 'core fixed the document type table' },
    });
    expect(res.status).toBe(200);
    const done = await stack.waitForState(caseId, ['COMPLETED'], 60_000);
    const live = done.writebacks.filter((w) => !w.superseded);
    expect(live).toHaveLength(1);
    expect(live[0]!.idempotencyKey).not.toBe(key);
    const postings = postingsByKey();
    expect(postings.get(key) ?? 0).toBe(0);
    expect(postings.get(live[0]!.idempotencyKey)).toBe(1);
  });
});
