import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface ExceptionFilter {
  status?: 'OPEN' | 'RESOLVED' | undefined;
  queue?: string | undefined;
  kind?: string | undefined;
  workflowId?: string | undefined;
  openedAfter?: string | undefined;
  limit: number;
}

/** Read models for agents and operators: a case with its timeline, and the exception queue. Never locks. */
@Injectable()
export class CaseQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async getCase(caseId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = (await this.db.query(
      `SELECT case_id AS "caseId", workflow_id AS "workflowId", definition_version AS "definitionVersion", state,
              correlation_id AS "correlationId", customer_id AS "customerId", source_event_id AS "sourceEventId",
              facts, offered_actions AS "offeredActions", chosen_action AS "chosenAction", retry_round AS "retryRound",
              outreach_attempts AS "outreachAttempts", outreach_progress AS "outreachProgress", opened_at AS "openedAt", updated_at AS "updatedAt", completed_at AS "completedAt"
       FROM cases WHERE case_id = $1`,
      [caseId],
    )) as Record<string, unknown>[];
    if (!row) return undefined;
    const [writebacks, timeline, timers, exceptions] = await Promise.all([
      this.db.query(
        `SELECT writeback_id AS "writebackId", destination, protocol, operation, idempotency_key AS "idempotencyKey",
                mapping_version AS "mappingVersion", required, status, error_class AS "errorClass", error_message AS "errorMessage",
                provider_ref AS "providerRef", attempts, retry_round AS "retryRound", superseded,
                requested_at AS "requestedAt", applied_at AS "appliedAt"
         FROM case_writeback WHERE case_id = $1 ORDER BY requested_at, writeback_id`,
        [caseId],
      ),
      this.db.query(
        `SELECT occurred_at AS "at", kind, detail, rule_id AS "ruleId", definition_version AS "definitionVersion",
                causation_id AS "causationId", audit_event_id AS "auditEventId"
         FROM case_event WHERE case_id = $1 ORDER BY id`,
        [caseId],
      ),
      this.db.query(
        `SELECT timer_id AS "timerId", kind, due_at AS "dueAt", fired_at AS "firedAt", cancelled_at AS "cancelledAt"
         FROM case_timer WHERE case_id = $1 ORDER BY due_at`,
        [caseId],
      ),
      this.db.query(`${EXCEPTION_SELECT} WHERE e.case_id = $1 ORDER BY e.opened_at`, [caseId]),
    ]);
    return { ...row, writebacks, timeline, timers, exceptions };
  }

  async listExceptions(filter: ExceptionFilter): Promise<Record<string, unknown>[]> {
    return this.db.query(
      `${EXCEPTION_SELECT}
       WHERE ($1::text IS NULL OR e.status = $1) AND ($2::text IS NULL OR e.queue = $2) AND ($3::text IS NULL OR e.kind = $3)
         AND ($4::text IS NULL OR c.workflow_id = $4) AND ($6::timestamptz IS NULL OR e.opened_at > $6)
       ORDER BY CASE e.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, e.opened_at
       LIMIT $5`,
      [
        filter.status ?? null,
        filter.queue ?? null,
        filter.kind ?? null,
        filter.workflowId ?? null,
        filter.limit,
        filter.openedAfter ?? null,
      ],
    );
  }
}

const EXCEPTION_SELECT = `SELECT e.exception_id AS "exceptionId", e.case_id AS "caseId", c.workflow_id AS "workflowId", e.kind, e.queue,
  e.priority, e.status, e.summary, e.context, e.opened_at AS "openedAt", e.resolved_at AS "resolvedAt", e.resolution,
  c.state AS "caseState", c.correlation_id AS "correlationId"
  FROM exception_item e JOIN cases c ON c.case_id = e.case_id`;
