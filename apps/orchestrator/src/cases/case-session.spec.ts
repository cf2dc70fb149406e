import { context } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Topics } from '@closeout/contracts';
import { contextWithSpan, startSpan } from '@closeout/telemetry';
import { CaseTransitionError } from '../domain/case-status';
import { caseRecord, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { CaseSession } from './case-session';
import { installTestTracing, uninstallTestTracing } from '@closeout/telemetry/testing';

const definition = seedDefinition('kyc-refresh');
const cause = { id: 'evt-9', actor: { type: 'SERVICE' as const, id: 'orchestrator' } };

describe('CaseSession: what a use case decided, recorded in one statement', () => {
  it('a transition writes the state, a case.state message from the old state and an audit event naming the rule', async () => {
    const tx = new ScriptedTx();
    const session = new CaseSession(tx.manager, caseRecord({ state: 'OUTREACH' }), definition, cause);
    session.transition('AWAITING_CUSTOMER', 'reached by SMS', 'kyc-refresh@v1/outreach');
    await session.save();

    const saved = tx.saved();
    expect(saved).toMatchObject({ dirty: true, state: 'AWAITING_CUSTOMER' });
    const [state, audit] = saved.messages;
    expect(state).toMatchObject({
      topic: Topics.caseState,
      key: { caseId: 'case-1' },
      value: {
        state: 'AWAITING_CUSTOMER',
        previousState: 'OUTREACH',
        causationId: 'evt-9',
        reason: 'reached by SMS',
      },
    });
    expect(audit).toMatchObject({
      topic: Topics.auditEvent,
      value: {
        action: 'case.awaiting_customer',
        causationId: 'evt-9',
        versions: { definition: 'kyc-refresh@v1', triggerMapping: '1' },
        references: { sourceEventId: 'up-1', ruleId: 'kyc-refresh@v1/outreach' },
      },
    });
    expect(saved.timeline).toEqual([
      expect.objectContaining({ kind: 'case.awaiting_customer', ruleId: 'kyc-refresh@v1/outreach' }),
    ]);
    expect(saved.timeline[0]).toHaveProperty('auditEventId', audit!.value['eventId']);
  });

  it('refuses a transition the state machine does not allow, before anything is recorded', async () => {
    const tx = new ScriptedTx();
    const session = new CaseSession(tx.manager, caseRecord({ state: 'COMPLETED' }), definition, cause);
    expect(() => session.transition('EXCEPTION', 'late failure')).toThrow(CaseTransitionError);
    await session.save();
    expect(tx.saved()).toMatchObject({ dirty: false, state: 'COMPLETED', messages: [], timeline: [] });
  });

  it('does not update the case row when nothing changed it, but still writes timers and notes', async () => {
    const tx = new ScriptedTx();
    const session = new CaseSession(tx.manager, caseRecord(), definition, cause);
    session.schedule({ timerId: 't-1', kind: 'REMINDER', dueAt: 1_000, payload: { attempt: 2 } });
    session.cancelTimers('EXPIRY', 'EXPIRY');
    session.note('outreach.opened', {}, { outcome: 'SUCCESS', reason: 'link opened' });
    await session.save();
    expect(tx.saved()).toMatchObject({
      dirty: false,
      cancelled: ['EXPIRY'],
      timers: [{ timerId: 't-1', kind: 'REMINDER', dueAt: 1_000, payload: { attempt: 2 } }],
      timeline: [{ kind: 'outreach.opened' }],
    });
  });

  it('puts the writeback keys on the last case.state message of the session', async () => {
    const tx = new ScriptedTx();
    const session = new CaseSession(tx.manager, caseRecord({ state: 'OUTREACH' }), definition, cause);
    session.transition('AWAITING_CUSTOMER', 'a');
    session.transition('AWAITING_WRITEBACK', 'b');
    session.stateWritebacks(['k1', 'k2'], ['k1']);
    await session.save();
    const states = tx.saved().messages.filter((m) => m.topic === Topics.caseState);
    expect(
      states.map((m) => [m.value['state'], m.value['requiredWritebacks'], m.value['appliedWritebacks']]),
    ).toEqual([
      ['AWAITING_CUSTOMER', [], []],
      ['AWAITING_WRITEBACK', ['k1', 'k2'], ['k1']],
    ]);
  });

  it('opens an exception on the definition queue and audits it; one already open for the kind is not audited again', async () => {
    const opened = new ScriptedTx([['INSERT INTO exception_item', [{ exception_id: 'exc_1' }]]]);
    const session = new CaseSession(opened.manager, caseRecord(), definition, cause);
    session.openException({ kind: 'EXPIRED', summary: 'no answer', context: { whatHappened: 'no answer' } });
    await session.save();
    const [insert] = opened.matching('INSERT INTO exception_item');
    expect(insert!.params.slice(1, 6)).toEqual([
      'case-1',
      'EXPIRED',
      definition.exceptions.EXPIRED.queue,
      definition.exceptions.EXPIRED.priority,
      'no answer',
    ]);
    expect(JSON.parse(insert!.params[6] as string)).toMatchObject({
      whatHappened: 'no answer',
      guidance: definition.exceptions.EXPIRED.guidance,
      definition: 'kyc-refresh@v1',
    });
    expect(opened.saved().timeline.map((e) => e.kind)).toEqual(['exception.opened']);

    const already = new ScriptedTx([['INSERT INTO exception_item', []]]);
    const again = new CaseSession(already.manager, caseRecord(), definition, cause);
    again.openException({ kind: 'EXPIRED', summary: 'no answer', context: {} });
    await again.save();
    expect(already.saved().timeline).toEqual([]);
  });

  it('routes a reconciliation break like a failed writeback unless a queue is given', async () => {
    const tx = new ScriptedTx([['INSERT INTO exception_item', [{ exception_id: 'exc_1' }]]]);
    const session = new CaseSession(tx.manager, caseRecord({ state: 'COMPLETED' }), definition, cause);
    session.openException({ kind: 'RECONCILIATION_BREAK', summary: 'missing in core', context: {} });
    session.openException({ kind: 'WRITEBACK_FAILED', summary: 'bad doc', context: {}, queue: 'correction' });
    await session.save();
    expect(tx.matching('INSERT INTO exception_item').map((s) => s.params[3])).toEqual([
      definition.exceptions.WRITEBACK_FAILED.queue,
      'correction',
    ]);
  });

  describe('traced', () => {
    const exporter = new InMemorySpanExporter();
    beforeAll(() => {
      installTestTracing(exporter);
    });
    afterAll(() => {
      uninstallTestTracing();
    });

    it("locks and saves in `lock cases` / `save cases` spans under the message's; the messages continue the message's span", async () => {
      const message = startSpan('process miniapp.action', 'consumer');
      const tx = new ScriptedTx([['FOR UPDATE', [{ case_id: 'case-1' }]]]);
      await context.with(contextWithSpan(message), async () => {
        await CaseSession.lock(tx.manager, 'case-1');
        const session = new CaseSession(tx.manager, caseRecord({ state: 'OUTREACH' }), definition, cause);
        session.transition('AWAITING_CUSTOMER', 'reached by SMS');
        await session.save();
      });
      message.end();

      const spans = exporter
        .getFinishedSpans()
        .filter((s) => s.attributes['db.system.name'] === 'postgresql');
      expect(spans.map((s) => s.name)).toEqual(['lock cases', 'save cases']);
      for (const span of spans) {
        expect(span.parentSpanContext?.spanId).toBe(message.spanContext().spanId);
        expect(span.attributes).toMatchObject({
          'db.collection.name': 'cases',
          'closeout.case_id': 'case-1',
        });
      }
      const saved = tx.saved() as unknown as { messages: Array<{ traceparent?: string }> };
      expect(saved.messages.map((m) => m.traceparent?.split('-')[2])).toEqual([
        message.spanContext().spanId,
        message.spanContext().spanId,
      ]);
    });
  });
});
