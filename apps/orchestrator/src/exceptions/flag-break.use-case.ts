import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { WritebackCommand } from '@closeout/contracts';
import { CaseSession } from '../cases/case-session';
import { firstDelivery } from '../cases/inbox';
import { WorkflowCatalog } from '../workflows/workflow-catalog';

/**
 * The reconciler flagged a break a machine must not fix (a posting missing in the core, a case completed without
 * its writebacks): it lands in the case's exception queue with the reconciler's context. Breaks that belong to no
 * case of ours (a posting nobody requested) stay with the reconciler's own break list.
 */
@Injectable()
export class FlagBreakUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(command: WritebackCommand): Promise<'flagged' | 'ignored' | 'duplicate'> {
    if (command.command !== 'FLAG') return 'ignored';
    return this.db.transaction(async (tx) => {
      if (!(await firstDelivery(tx, 'writeback-command', command.eventId))) return 'duplicate';
      const record = await CaseSession.lock(tx, command.caseId);
      if (!record) return 'ignored';
      const definition = this.catalog.get(record.workflowId, record.definitionVersion);
      const session = new CaseSession(tx, record, definition, {
        id: command.eventId,
        actor: { type: 'SERVICE', id: command.issuedBy },
      });
      const summary = `reconciliation break${command.breakId ? ` ${command.breakId}` : ''}: ${command.reason}`;
      if (session.state === 'AWAITING_WRITEBACK') session.transition('EXCEPTION', summary);
      session.openException({
        kind: 'RECONCILIATION_BREAK',
        summary,
        context: {
          whatHappened: command.reason,
          whatWasTried: {
            destination: command.destination,
            protocol: command.protocol,
            idempotencyKey: command.idempotencyKey,
          },
          customerDid: record.chosenAction
            ? { actionId: record.chosenAction.actionId, at: record.chosenAction.receivedAt }
            : null,
          caseState: session.state,
          audit: {
            correlationId: record.correlationId,
            breakId: command.breakId,
            commandId: command.commandId,
            issuedBy: command.issuedBy,
          },
        },
      });
      session.note(
        'reconciliation.flagged',
        {
          breakId: command.breakId,
          destination: command.destination,
          idempotencyKey: command.idempotencyKey,
        },
        {
          outcome: 'FAILURE',
          reason: summary,
          references: {
            idempotencyKey: command.idempotencyKey,
            ...(command.breakId ? { breakId: command.breakId } : {}),
          },
        },
      );
      await session.save();
      return 'flagged';
    });
  }
}
