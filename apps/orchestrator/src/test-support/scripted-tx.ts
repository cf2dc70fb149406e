// Unit-test stand-in for a transaction's EntityManager: records each statement and answers it from a script keyed by
// a fragment of its SQL. Only for unit tests of the engine's decisions; the SQL itself is tested against PostgreSQL
// in the integration specs.
import { join } from 'node:path';
import type { EntityManager } from 'typeorm';
import type { CaseRecord, CaseRow, CaseWritebackRow, OutreachProgress } from '../cases/case-record';
import type { WorkflowDefinition } from '@closeout/workflow-domain';
import { loadWorkflowDirectory } from '@closeout/workflow-loader';

export interface Statement {
  sql: string;
  params: unknown[];
}

export class ScriptedTx {
  readonly statements: Statement[] = [];
  constructor(
    private readonly answers: [fragment: string, rows: unknown[] | ((params: unknown[]) => unknown[])][] = [],
  ) {}

  readonly manager = {
    query: (sql: string, params: unknown[] = []): Promise<unknown[]> => {
      this.statements.push({ sql, params });
      const answer = this.answers.find(([fragment]) => sql.includes(fragment))?.[1];
      return Promise.resolve(typeof answer === 'function' ? answer(params) : (answer ?? []));
    },
  } as unknown as EntityManager;

  /** The statements whose SQL contains `fragment`. */
  matching(fragment: string): Statement[] {
    return this.statements.filter((s) => s.sql.includes(fragment));
  }

  /** The parameters of save()'s one statement, by name. */
  saved(): {
    state: string;
    dirty: boolean;
    cancelled: string[];
    timers: {
      timerId: string;
      kind: string;
      dueAt: number;
      payload: Record<string, unknown>;
      earliest?: boolean;
    }[];
    timeline: { kind: string; ruleId: string | null; detail: Record<string, unknown> }[];
    messages: { topic: string; key: Record<string, unknown>; value: Record<string, unknown> }[];
    progress: OutreachProgress;
  } {
    const save = this.matching('WITH upd AS (').at(-1);
    if (!save) throw new Error('the session was not saved');
    const p = save.params;
    return {
      dirty: p[1] as boolean,
      state: p[2] as string,
      cancelled: p[7] as string[],
      timers: JSON.parse(p[8] as string),
      timeline: JSON.parse(p[11] as string),
      messages: JSON.parse(p[12] as string),
      progress: JSON.parse(p[13] as string),
    };
  }
}

const seeds = loadWorkflowDirectory(join(__dirname, '..', '..', 'workflows'));

/** A seed workflow definition (apps/orchestrator/workflows), as the catalog hands it to the use cases. */
export const seedDefinition = (workflowId: string, version = '1'): WorkflowDefinition =>
  seeds.get(workflowId, version);

export function caseRecord(over: Partial<CaseRecord> = {}): CaseRecord {
  return {
    caseId: 'case-1',
    workflowId: 'kyc-refresh',
    definitionVersion: '1',
    state: 'OUTREACH',
    correlationId: 'corr-1',
    customerId: 'cus-1',
    sourceEventId: 'up-1',
    facts: {
      caseId: 'case-1',
      workflowId: 'kyc-refresh',
      trigger: {
        eventId: 'up-1',
        eventType: 'compliance.kyc_refresh_due',
        sourceSystem: 'core-crm',
        amount: null,
        attributes: {},
        mappingVersion: '1',
        payloadRef: 'c'.repeat(64),
      },
      customer: { customerId: 'cus-1', accountId: '4000000001', locale: null, timeZone: 'Europe/London' },
    },
    offeredActions: [],
    chosenAction: null,
    retryRound: 0,
    outreachAttempts: 1,
    outreachProgress: {},
    openedAt: new Date(1_735_689_600_000),
    ...over,
  };
}

/** A `cases` row as the locked SELECT returns it: caseRecord(over) in column names. */
export function caseRow(over: Partial<CaseRecord> = {}): CaseRow {
  const r = caseRecord(over);
  return {
    case_id: r.caseId,
    workflow_id: r.workflowId,
    definition_version: r.definitionVersion,
    state: r.state,
    correlation_id: r.correlationId,
    customer_id: r.customerId,
    source_event_id: r.sourceEventId,
    facts: r.facts,
    offered_actions: r.offeredActions,
    chosen_action: r.chosenAction,
    retry_round: r.retryRound,
    outreach_attempts: r.outreachAttempts,
    outreach_progress: r.outreachProgress,
    opened_at: r.openedAt,
  };
}

/** A `case_writeback` row of case-1: the KYC document attach to core-banking-rest, requested and not yet answered. */
export function writebackRow(over: Partial<CaseWritebackRow> = {}): CaseWritebackRow {
  return {
    destination: 'core-banking-rest',
    idempotency_key: 'key-doc',
    case_id: 'case-1',
    writeback_id: 'kyc-document',
    protocol: 'REST',
    operation: 'document.attach',
    mapping_version: '1',
    contract_version: '1',
    required: true,
    retry_round: 0,
    payload: { customerId: 'cus-1', documentType: 'passport' },
    status: 'PENDING',
    error_class: null,
    error_message: null,
    provider_ref: null,
    attempts: 0,
    requested_at: new Date(1_735_689_700_000),
    applied_at: null,
    superseded: false,
    ...over,
  };
}
