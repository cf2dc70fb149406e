import type { DataSource } from 'typeorm';
import { Topics, type CaseTriggered } from '@closeout/contracts';
import { EligibilityPolicy } from '@closeout/workflow-domain';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { OpenCaseUseCase } from './open-case.use-case';

const definition = seedDefinition('kyc-refresh');
const policy = new EligibilityPolicy(definition);
const catalog = { latest: () => definition, policy: () => policy } as unknown as WorkflowCatalog;
const NOW = 1_736_000_000_000;
const OPENED_AT = new Date(1_735_999_999_000);
const DAY = 86_400_000;

function trigger(over: Partial<CaseTriggered['customer']> = {}): CaseTriggered {
  return {
    eventId: 'trg-1',
    occurredAt: NOW,
    correlationId: 'corr-1',
    causationId: null,
    caseId: 'case-1',
    workflowId: 'kyc-refresh',
    source: {
      system: 'core-crm',
      eventId: 'up-1',
      eventType: 'compliance.kyc_refresh_due',
      mappingVersion: '1',
      payloadRef: 'c'.repeat(64),
    },
    customer: {
      customerId: 'cus-1',
      accountId: '4000000001',
      locale: null,
      timeZone: 'Europe/London',
      ...over,
    },
    amount: null,
    attributes: {},
  };
}

async function open(trg: CaseTriggered, scene: { first?: boolean; exists?: boolean } = {}) {
  const tx = new ScriptedTx([
    ['INSERT INTO processed_event', scene.first === false ? [] : [{ event_id: trg.eventId }]],
    ['INSERT INTO cases', scene.exists ? [] : [{ opened_at: OPENED_AT }]],
    ['INSERT INTO exception_item', [{ exception_id: 'exc-new' }]],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const result = await new OpenCaseUseCase(db, catalog).execute(trg, NOW);
  return { result, tx };
}

describe('opening a case from a trigger', () => {
  it('with an eligible action: the case is stored with its facts and offers, outreach starts with attempt 1 and the expiry timer', async () => {
    const { result, tx } = await open(trigger());
    expect(result).toEqual({ opened: true });

    const insert = tx.matching('INSERT INTO cases')[0]!;
    expect(insert.params.slice(0, 6)).toEqual(['case-1', 'kyc-refresh', '1', 'corr-1', 'cus-1', 'up-1']);
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({
      trigger: { eventId: 'up-1', mappingVersion: '1', payloadRef: 'c'.repeat(64) },
      customer: { accountId: '4000000001' },
    });
    expect(JSON.parse(insert.params[7] as string)).toEqual([
      expect.objectContaining({ actionId: 'upload-documents', eligible: true }),
    ]);

    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'OUTREACH', dirty: true });
    const states = saved.messages.filter((m) => m.topic === Topics.caseState).map((m) => m.value);
    expect(states).toEqual([
      expect.objectContaining({ eventId: 'cst_case-1_TRIGGERED', state: 'TRIGGERED', previousState: null }),
      expect.objectContaining({ state: 'OUTREACH', previousState: 'TRIGGERED' }),
    ]);
    expect(saved.messages.find((m) => m.topic === Topics.outreachRequested)?.value).toMatchObject({
      attempt: 1,
      channel: 'EMAIL',
      linkExpiresAt: OPENED_AT.getTime() + 28 * DAY,
    });
    // Reminders come from messaging's receipts (record-outreach-event.spec.ts); only the expiry is set now.
    expect(saved.timers).toEqual([
      { timerId: 'tmr_case-1_expiry_1', kind: 'EXPIRY', dueAt: NOW + 28 * DAY, payload: { firstAttempt: 1 } },
    ]);
    expect(saved.progress).toEqual({
      round: { first: 1, last: 3, startedAt: NOW },
      attempts: { '1': { channel: 'EMAIL', requestedAt: NOW, status: 'REQUESTED' } },
    });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.opened',
      'action.offered',
      'case.outreach',
      'outreach.requested',
    ]);
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('with no eligible action: straight to EXCEPTION with an INELIGIBLE exception naming the rules, and no outreach', async () => {
    const { result, tx } = await open(trigger({ accountId: null }));
    expect(result).toEqual({ opened: true });

    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'EXCEPTION', timers: [] });
    expect(saved.messages.filter((m) => m.topic === Topics.outreachRequested)).toEqual([]);
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.opened',
      'action.withheld',
      'case.exception',
      'exception.opened',
    ]);
    expect(saved.timeline[2]).toMatchObject({ ruleId: 'kyc-refresh@v1/eligibility' });

    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(1, 5)).toEqual(['case-1', 'INELIGIBLE', 'kyc-operations', 'normal']);
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({
      rules: [
        { actionId: 'upload-documents', ruleId: 'kyc-refresh@v1/actions/upload-documents/eligibility' },
      ],
      audit: { correlationId: 'corr-1', sourceEventId: 'up-1' },
    });
  });

  it('a redelivered trigger: not opened, no case row written', async () => {
    const { result, tx } = await open(trigger(), { first: false });
    expect(result).toEqual({ opened: false });
    expect(tx.matching('INSERT INTO cases')).toEqual([]);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });

  it('a second trigger for a case id that already exists: not opened, nothing published', async () => {
    const { result, tx } = await open(trigger(), { exists: true });
    expect(result).toEqual({ opened: false });
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });
});
