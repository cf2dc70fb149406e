import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Topics, type CaseState, type CaseTriggered } from '@closeout/contracts';
import { EventPublisher } from '@closeout/kafka';
import { AuditEmitter } from '@closeout/audit';

/** Workflow definitions arrive with the orchestrator issue; until then every case opens at version 1. */
const DEFINITION_VERSION = '1';

/**
 * Opens a case from a trigger, once: a redelivered trigger finds the row and changes nothing.
 */
@Injectable()
export class OpenCaseUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditEmitter,
  ) {}

  async execute(trigger: CaseTriggered): Promise<{ opened: boolean }> {
    // One transaction: if publishing fails the row rolls back, and the redelivered trigger opens the case
    // then. Without it, a committed row with no case.state would make every redelivery a silent no-op.
    return this.db.transaction(async (tx) => this.open(tx, trigger));
  }

  private async open(tx: EntityManager, trigger: CaseTriggered): Promise<{ opened: boolean }> {
    const inserted: unknown[] = await tx.query(
      `INSERT INTO cases (case_id, workflow_id, definition_version, state, correlation_id, customer_id, source_event_id)
       VALUES ($1, $2, $3, 'TRIGGERED', $4, $5, $6) ON CONFLICT (case_id) DO NOTHING RETURNING case_id`,
      [trigger.caseId, trigger.workflowId, DEFINITION_VERSION, trigger.correlationId, trigger.customer.customerId, trigger.source.eventId],
    );
    if (inserted.length === 0) return { opened: false };

    const state: CaseState = {
      eventId: `cst_${trigger.caseId}_TRIGGERED`,
      occurredAt: Date.now(),
      correlationId: trigger.correlationId,
      causationId: trigger.eventId,
      caseId: trigger.caseId,
      workflowId: trigger.workflowId,
      definitionVersion: DEFINITION_VERSION,
      state: 'TRIGGERED',
      previousState: null,
      reason: `trigger ${trigger.source.eventType} from ${trigger.source.system}`,
      requiredWritebacks: [],
      appliedWritebacks: [],
    };
    await this.publisher.publish(Topics.caseState, { caseId: trigger.caseId }, state, {
      correlationId: trigger.correlationId,
      causationId: trigger.eventId,
    });
    await this.audit.emit({
      actor: { type: 'SERVICE', id: 'orchestrator' },
      action: 'case.opened',
      outcome: 'SUCCESS',
      reason: `trigger ${trigger.source.eventType} opened workflow ${trigger.workflowId}`,
      correlationId: trigger.correlationId,
      causationId: trigger.eventId,
      caseId: trigger.caseId,
      versions: { definition: DEFINITION_VERSION, triggerMapping: trigger.source.mappingVersion },
      references: { sourceEventId: trigger.source.eventId, payloadRef: trigger.source.payloadRef },
    });
    return { opened: true };
  }
}
