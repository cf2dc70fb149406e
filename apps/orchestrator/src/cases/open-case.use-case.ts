import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Topics, type CaseTriggered } from '@closeout/contracts';
import { startOutreach } from '../outreach/request-outreach';
import { WorkflowCatalog } from '../workflows/workflow-catalog';
import type { WorkflowDefinition } from '@closeout/workflow-domain';
import type { CaseRecord, OfferedAction, StoredCaseFacts } from './case-record';
import { CaseSession, SERVICE } from './case-session';
import { firstDelivery } from './inbox';

export interface PreparedCase {
  definition: WorkflowDefinition;
  facts: StoredCaseFacts;
  offered: OfferedAction[];
}

export function factsOf(trigger: CaseTriggered): StoredCaseFacts {
  return {
    caseId: trigger.caseId,
    workflowId: trigger.workflowId,
    trigger: {
      eventId: trigger.source.eventId,
      eventType: trigger.source.eventType,
      sourceSystem: trigger.source.system,
      amount: trigger.amount
        ? { amountMinor: Number(trigger.amount.amountMinor), currency: trigger.amount.currency }
        : null,
      attributes: trigger.attributes,
      mappingVersion: trigger.source.mappingVersion,
      payloadRef: trigger.source.payloadRef,
    },
    customer: {
      customerId: trigger.customer.customerId,
      accountId: trigger.customer.accountId,
      locale: trigger.customer.locale,
      timeZone: trigger.customer.timeZone,
    },
  };
}

/**
 * Opens a case from a trigger, once: evaluates which actions the customer may see (the rules engine, per the
 * workflow's latest definition), then starts the outreach cadence, or routes the case to the exception queue when no
 * action is eligible. A redelivered trigger finds its inbox row and changes nothing.
 */
@Injectable()
export class OpenCaseUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(trigger: CaseTriggered, now = Date.now()): Promise<{ opened: boolean }> {
    const prepared = await this.prepare(trigger);
    return this.db.transaction((tx) => this.executeIn(tx, trigger, prepared, now));
  }

  /** The rules engine's verdict on the trigger's facts, before any transaction is open. */
  async prepare(trigger: CaseTriggered): Promise<PreparedCase> {
    const definition = this.catalog.latest(trigger.workflowId);
    const facts = factsOf(trigger);
    return { definition, facts, offered: await this.catalog.policy(definition).offeredActions(facts) };
  }

  /** Opens the prepared case in the caller's transaction: a partition batch shares one (see case-batch.ts). */
  async executeIn(
    tx: EntityManager,
    trigger: CaseTriggered,
    prepared: PreparedCase,
    now = Date.now(),
  ): Promise<{ opened: boolean }> {
    const { definition, facts, offered } = prepared;
    if (!(await firstDelivery(tx, 'case-triggered', trigger.eventId))) return { opened: false };
    const inserted: { opened_at: Date }[] = await tx.query(
      `INSERT INTO cases (case_id, workflow_id, definition_version, state, correlation_id, customer_id, source_event_id, facts, offered_actions)
       VALUES ($1, $2, $3, 'TRIGGERED', $4, $5, $6, $7, $8) ON CONFLICT (case_id) DO NOTHING RETURNING opened_at`,
      [
        trigger.caseId,
        trigger.workflowId,
        definition.version,
        trigger.correlationId,
        trigger.customer.customerId,
        trigger.source.eventId,
        JSON.stringify(facts),
        JSON.stringify(offered),
      ],
    );
    if (inserted.length === 0) return { opened: false };
    const record: CaseRecord = {
      caseId: trigger.caseId,
      workflowId: trigger.workflowId,
      definitionVersion: definition.version,
      state: 'TRIGGERED',
      correlationId: trigger.correlationId,
      customerId: trigger.customer.customerId,
      sourceEventId: trigger.source.eventId,
      facts,
      offeredActions: offered,
      chosenAction: null,
      retryRound: 0,
      outreachAttempts: 0,
      outreachProgress: {},
      openedAt: inserted[0]!.opened_at,
    };
    const session = new CaseSession(tx, record, definition, {
      id: trigger.eventId,
      actor: { type: 'SERVICE', id: SERVICE },
    });
    session.publish({
      topic: Topics.caseState,
      key: { caseId: record.caseId },
      value: {
        eventId: `cst_${record.caseId}_TRIGGERED`,
        occurredAt: now,
        correlationId: record.correlationId,
        causationId: trigger.eventId,
        caseId: record.caseId,
        workflowId: record.workflowId,
        definitionVersion: definition.version,
        state: 'TRIGGERED',
        previousState: null,
        reason: `trigger ${trigger.source.eventType} from ${trigger.source.system}`,
        requiredWritebacks: [],
        appliedWritebacks: [],
      },
      headers: { correlationId: record.correlationId, causationId: trigger.eventId },
    });
    session.note(
      'case.opened',
      { workflow: `${definition.id}@v${definition.version}`, trigger: trigger.source },
      {
        outcome: 'SUCCESS',
        reason: `trigger ${trigger.source.eventType} opened workflow ${definition.id} v${definition.version}`,
      },
    );
    for (const o of offered) {
      session.note(
        o.eligible ? 'action.offered' : 'action.withheld',
        { actionId: o.actionId, action: o.action },
        { ruleId: o.ruleId, outcome: o.eligible ? 'SUCCESS' : 'DENIED', reason: o.reason },
      );
    }
    if (offered.some((o) => o.eligible)) {
      session.transition(
        'OUTREACH',
        `${offered.filter((o) => o.eligible).length} eligible action(s); outreach starts`,
      );
      startOutreach(session, now);
    } else {
      const reason = 'no action of the workflow is eligible for this customer';
      session.transition('EXCEPTION', reason, `${definition.id}@v${definition.version}/eligibility`);
      session.openException({
        kind: 'INELIGIBLE',
        summary: reason,
        context: {
          whatHappened: reason,
          rules: offered.map((o) => ({ actionId: o.actionId, ruleId: o.ruleId, reason: o.reason })),
          whatWasTried: [],
          customerDid: null,
          audit: { correlationId: record.correlationId, sourceEventId: record.sourceEventId },
        },
      });
    }
    await session.save();
    return { opened: true };
  }
}
