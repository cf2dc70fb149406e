import type { DataSource } from 'typeorm';
import { Topics, type WritebackCommand } from '@closeout/contracts';
import type { CaseRecord } from '../cases/case-record';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { caseRow, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { FlagBreakUseCase } from './flag-break.use-case';

const definition = seedDefinition('kyc-refresh');
const catalog = { get: () => definition } as unknown as WorkflowCatalog;

function command(over: Partial<WritebackCommand> = {}): WritebackCommand {
  return {
    eventId: 'cmd-evt-1',
    occurredAt: 1_736_000_000_000,
    correlationId: 'corr-1',
    causationId: null,
    commandId: 'cmd-1',
    command: 'FLAG',
    idempotencyKey: 'key-doc',
    destination: 'core-banking-rest',
    protocol: 'REST',
    caseId: 'case-1',
    breakId: 'brk-9',
    reason: 'posting missing in the core',
    issuedBy: 'reconciler',
    ...over,
  };
}

async function flag(
  cmd: WritebackCommand,
  scene: { record?: Partial<CaseRecord> | null; first?: boolean } = {},
) {
  const tx = new ScriptedTx([
    ['INSERT INTO processed_event', scene.first === false ? [] : [{ event_id: cmd.eventId }]],
    [
      'FROM cases WHERE case_id',
      scene.record === null ? [] : [caseRow({ state: 'AWAITING_WRITEBACK', ...scene.record })],
    ],
    ['INSERT INTO exception_item', [{ exception_id: 'exc-new' }]],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const outcome = await new FlagBreakUseCase(db, catalog).execute(cmd);
  return { outcome, tx };
}

describe('a reconciliation break flagged against a case', () => {
  it('on a case awaiting its writebacks: the case goes to EXCEPTION and a RECONCILIATION_BREAK exception opens in the WRITEBACK_FAILED queue', async () => {
    const { outcome, tx } = await flag(command());
    expect(outcome).toBe('flagged');

    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'EXCEPTION', dirty: true });
    expect(saved.messages.find((m) => m.topic === Topics.caseState)?.value).toMatchObject({
      state: 'EXCEPTION',
      previousState: 'AWAITING_WRITEBACK',
      reason: 'reconciliation break brk-9: posting missing in the core',
    });
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(1, 5)).toEqual(['case-1', 'RECONCILIATION_BREAK', 'kyc-operations', 'high']);
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({
      whatHappened: 'posting missing in the core',
      whatWasTried: { destination: 'core-banking-rest', idempotencyKey: 'key-doc' },
      caseState: 'EXCEPTION',
      audit: { breakId: 'brk-9', commandId: 'cmd-1', issuedBy: 'reconciler' },
    });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.exception',
      'reconciliation.flagged',
      'exception.opened',
    ]);
    const flagged = saved.messages.find(
      (m) => m.topic === Topics.auditEvent && m.value['action'] === 'reconciliation.flagged',
    );
    expect(flagged?.value).toMatchObject({
      actor: { type: 'SERVICE', id: 'reconciler' },
      outcome: 'FAILURE',
      references: expect.objectContaining({ idempotencyKey: 'key-doc', breakId: 'brk-9' }),
    });
  });

  it('on a completed case: the exception opens but the case stays COMPLETED', async () => {
    const { outcome, tx } = await flag(command({ breakId: null }), { record: { state: 'COMPLETED' } });
    expect(outcome).toBe('flagged');
    expect(tx.saved()).toMatchObject({ state: 'COMPLETED', dirty: false });
    expect(tx.saved().messages.filter((m) => m.topic === Topics.caseState)).toEqual([]);
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params[5]).toBe('reconciliation break: posting missing in the core');
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({ caseState: 'COMPLETED' });
  });

  it('a command other than FLAG is not this use case’s: ignored before any transaction', async () => {
    const transaction = jest.fn();
    const db = { transaction } as unknown as DataSource;
    expect(await new FlagBreakUseCase(db, catalog).execute(command({ command: 'REPLAY' }))).toBe('ignored');
    expect(transaction).not.toHaveBeenCalled();
  });

  it('redelivered: duplicate, the case is neither locked nor changed', async () => {
    const { outcome, tx } = await flag(command(), { first: false });
    expect(outcome).toBe('duplicate');
    expect(tx.matching('FROM cases')).toEqual([]);
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('for a case we do not have: ignored, nothing opened', async () => {
    const { outcome, tx } = await flag(command(), { record: null });
    expect(outcome).toBe('ignored');
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });
});
