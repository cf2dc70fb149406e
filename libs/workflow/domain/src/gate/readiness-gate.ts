import { defaultMappingRegistry, type MappingRegistry } from '@closeout/writeback-domain';
import {
  ERROR_CLASSES,
  REQUIRED_AUDIT_FIELDS,
  type IdempotencyDesign,
  type WorkflowDefinition,
} from '../definition/workflow-definition.schema';
import type { MissingItem } from '../errors';
import { sequenceSourceProblem } from '../facts/fact-path';
import { goldenPayloadProblem, type GoldenFiles } from './golden-payloads';

export interface ReadinessOptions {
  /** The golden payload pairs every mapping a writeback uses must be proven by. */
  golden: GoldenFiles;
  /** The mappings writebacks are rendered with; defaults to every mapping Closeout ships. */
  mappings?: MappingRegistry;
}

export interface ReadinessResult {
  ready: boolean;
  missing: MissingItem[];
}

function idempotencyProblems(design: IdempotencyDesign): string[] {
  const problems: string[] = [];
  for (const part of ['operation', 'sequence'] as const) {
    if (!design.key.includes(part))
      problems.push(`the key must include ${part} (key: [${design.key.join(', ')}])`);
  }
  const source = sequenceSourceProblem(design.sequence);
  if (source !== undefined) problems.push(source);
  return problems;
}

/**
 * What a definition still lacks before it may be activated (DESIGN, readiness gate): an idempotency key design, a
 * retry rule per error class, golden payloads for each mapping it uses, a reconciliation window and complete audit
 * fields. Lists every missing item by name instead of stopping at the first.
 */
export function readinessGate(
  definition: WorkflowDefinition,
  options: ReadinessOptions,
): ReadinessResult {
  const missing: MissingItem[] = [];
  const writebacks = definition.actions.flatMap((a) => a.writebacks);

  if (definition.idempotency === undefined) {
    const uncovered = writebacks.filter((w) => w.idempotency === undefined).map((w) => w.id);
    if (uncovered.length > 0) {
      missing.push({
        item: 'idempotency',
        detail: `no idempotency key design (needed by ${uncovered.join(', ')}): set idempotency {key: [customerId, workflowId, operation, sequence], sequence: caseId}`,
      });
    }
  } else {
    for (const problem of idempotencyProblems(definition.idempotency))
      missing.push({ item: 'idempotency', detail: problem });
  }
  for (const w of writebacks) {
    if (w.idempotency === undefined) continue;
    for (const problem of idempotencyProblems(w.idempotency))
      missing.push({ item: `writebacks.${w.id}.idempotency`, detail: problem });
  }

  for (const errorClass of ERROR_CLASSES) {
    if (definition.retryPolicy?.[errorClass] === undefined) {
      missing.push({
        item: `retryPolicy.${errorClass}`,
        detail: `no retry rule for ${errorClass} writeback failures`,
      });
    }
  }

  const mappings = options.mappings ?? defaultMappingRegistry;
  const checked = new Set<string>();
  for (const w of writebacks) {
    const label = `${w.destination}/${w.operation}/v${w.mappingVersion}`;
    if (checked.has(label)) continue;
    checked.add(label);
    const problem = goldenPayloadProblem(w, mappings, options.golden);
    if (problem !== undefined)
      missing.push({ item: `goldenPayload ${label}`, detail: `${problem} (used by ${w.id})` });
  }

  if (definition.slo.reconciliationWindow === undefined) {
    missing.push({
      item: 'slo.reconciliationWindow',
      detail:
        'no reconciliation window: how long before an unconfirmed writeback is checked against the system of record',
    });
  }

  if (definition.audit === undefined) {
    missing.push({
      item: 'audit',
      detail: `no audit section: list the fields ${REQUIRED_AUDIT_FIELDS.join(', ')}`,
    });
  } else {
    const fields = new Set(definition.audit.fields);
    for (const field of REQUIRED_AUDIT_FIELDS) {
      if (!fields.has(field))
        missing.push({
          item: `audit.fields.${field}`,
          detail: `every audit event of a case must carry ${field}`,
        });
    }
  }

  return { ready: missing.length === 0, missing };
}
