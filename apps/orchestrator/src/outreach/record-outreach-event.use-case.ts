import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { OutreachEvent } from '@closeout/contracts';
import { assertUnreachable } from '@closeout/writeback-domain';
import { CaseNotFoundError } from '../cases/case-errors';
import { CaseSession } from '../cases/case-session';
import { awaitsCustomer } from '../domain/case-status';
import { WorkflowCatalog } from '../workflows/workflow-catalog';

/**
 * Records what happened to a message on the case's timeline. A delivered message means the case now waits for the
 * customer; an opt-out ends outreach on every channel and goes to the exception queue, since consent is gone.
 */
@Injectable()
export class RecordOutreachEventUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(event: OutreachEvent): Promise<void> {
    await this.db.transaction(async (tx) => {
      const locked = await CaseSession.lockOnFirstDelivery(tx, 'outreach-event', event.eventId, event.caseId);
      if (!locked) throw new CaseNotFoundError(event.caseId);
      if (!locked.first) return;
      const { record } = locked;
      const definition = this.catalog.get(record.workflowId, record.definitionVersion);
      const session = new CaseSession(tx, record, definition, {
        id: event.eventId,
        actor: { type: 'SERVICE', id: 'messaging' },
      });
      const detail = {
        outreachId: event.outreachId,
        channel: event.channel,
        status: event.status,
        providerRef: event.providerRef,
        reason: event.reason,
      };
      const references = {
        outreachId: event.outreachId,
        ...(event.providerRef ? { providerRef: event.providerRef } : {}),
      };
      const status = event.status;
      switch (status) {
        case 'SENT':
        case 'DELIVERED':
          session.note(`outreach.${status.toLowerCase()}`, detail, {
            outcome: 'SUCCESS',
            reason: `${event.channel} message ${status.toLowerCase()}`,
            references,
          });
          if (record.state === 'OUTREACH')
            session.transition('AWAITING_CUSTOMER', `the customer was reached by ${event.channel}`);
          break;
        case 'OPENED':
        case 'CLICKED':
        case 'SUPPRESSED':
        case 'FAILED':
          session.note(`outreach.${status.toLowerCase()}`, detail, {
            outcome: status === 'FAILED' ? 'FAILURE' : 'SUCCESS',
            reason: event.reason ?? `${event.channel} message ${status.toLowerCase()}`,
            references,
          });
          break;
        case 'OPTED_OUT': {
          const reason = `the customer opted out on ${event.channel}: outreach stops on every channel`;
          session.note('outreach.opted_out', detail, { outcome: 'SUCCESS', reason, references });
          if (awaitsCustomer(record.state)) {
            session.transition('EXCEPTION', reason);
            session.cancelTimers('REMINDER', 'EXPIRY');
            session.openException({
              kind: 'OPTED_OUT',
              summary: reason,
              context: {
                whatHappened: reason,
                whatWasTried: {
                  outreachAttempts: record.outreachAttempts,
                  channels: definition.outreach.channels,
                },
                customerDid: { optedOut: event.channel, at: event.occurredAt },
                audit: { correlationId: record.correlationId, outreachEventId: event.eventId },
              },
            });
          }
          break;
        }
        default:
          assertUnreachable(status, 'outreach status');
      }
      await session.save();
    });
  }
}
