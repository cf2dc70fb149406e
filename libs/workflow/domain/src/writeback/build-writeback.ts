import {
  assertUnreachable,
  canonicalJson,
  CONTRACT_VERSION,
  idempotencyKey,
  ValidationError,
  validateCanonicalPayload,
  type CanonicalPayload,
  type Money,
  type WritebackOperation,
} from '@closeout/writeback-domain';
import { classifyPayloadValue } from '../definition/payload-value';
import type {
  PayloadValue,
  WorkflowDefinition,
  WritebackSpec,
} from '../definition/workflow-definition.schema';
import {
  FactsMismatchError,
  InvalidFactError,
  MissingFactError,
  WorkflowDefinitionError,
  WritebackPayloadError,
} from '../errors';
import type { ActionFacts, CaseFacts, WritebackFacts } from '../facts/case-facts';
import { resolveFactPath, sequenceSourceProblem } from '../facts/fact-path';

/** Everything the orchestrator puts into a `writeback.requested` message for one writeback of an action. */
export interface BuiltWriteback {
  writebackId: string;
  destination: string;
  protocol: WritebackSpec['protocol'];
  operation: WritebackOperation;
  mappingVersion: string;
  contractVersion: typeof CONTRACT_VERSION;
  payload: CanonicalPayload;
  /** canonicalJson(payload): the exact bytes the writeback services fingerprint. */
  payloadJson: string;
  idempotencyKey: string;
  /** A case completes only when every required writeback is applied. */
  required: boolean;
}

type Resolved = string | number | boolean | Money | { [field: string]: Resolved };

class Builder {
  constructor(
    private readonly facts: WritebackFacts,
    private readonly writebackId: string,
  ) {}

  private read(field: string, path: string): unknown {
    const value = resolveFactPath(this.facts, path);
    if (value === undefined) throw new MissingFactError(field, path);
    return value;
  }

  private integer(field: string, path: string): bigint {
    const value = this.read(field, path);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
    throw new InvalidFactError(field, path, `is ${JSON.stringify(value)}, which is not an integer`);
  }

  /** Resolves the template fields; `undefined` means an optional field whose fact is absent (left out). */
  value(value: PayloadValue, field: string): Resolved | undefined {
    const leaf = classifyPayloadValue(value);
    switch (leaf.kind) {
      case 'literal':
        return leaf.literal;
      case 'from': {
        if (leaf.optional && resolveFactPath(this.facts, leaf.from) === undefined) return undefined;
        const raw = this.read(field, leaf.from);
        switch (leaf.as) {
          case undefined:
            return raw as Resolved;
          case 'string':
            if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean')
              return String(raw);
            throw new InvalidFactError(
              field,
              leaf.from,
              `is ${JSON.stringify(raw)}, which cannot be read as a string`,
            );
          case 'integer': {
            const n = this.integer(field, leaf.from);
            // Beyond 2^53 the JSON number would silently round; the contract's own range check speaks after this.
            if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
              throw new InvalidFactError(field, leaf.from, `is ${n}, beyond a safe JSON integer`);
            }
            return Number(n);
          }
          default:
            return assertUnreachable(leaf.as, 'cast');
        }
      }
      case 'template':
        return leaf.template.replace(/\{([^{}]+)\}/g, (_match, path: string) => {
          const raw = this.read(field, path);
          if (typeof raw === 'string' || typeof raw === 'number') return String(raw);
          throw new InvalidFactError(
            field,
            path,
            `is ${JSON.stringify(raw)}, which cannot be written into a template`,
          );
        });
      case 'moneyDividedBy': {
        const money = this.read(field, leaf.money);
        if (
          typeof money !== 'object' ||
          money === null ||
          !('amountMinor' in money) ||
          !('currency' in money)
        ) {
          throw new InvalidFactError(
            field,
            leaf.money,
            `is ${JSON.stringify(money)}, not money {amountMinor, currency}`,
          );
        }
        const total = this.integer(`${field}.amountMinor`, `${leaf.money}.amountMinor`);
        const by = this.integer(field, leaf.by);
        if (by < 1n)
          throw new InvalidFactError(field, leaf.by, `is ${by}: cannot divide money by less than 1`);
        // Rounded up in integer arithmetic, so the installments together never come to less than the debt.
        const share = (total + by - 1n) / by;
        return { amountMinor: Number(share), currency: String(money.currency) };
      }
      case 'object': {
        const out: Record<string, Resolved> = {};
        for (const [name, inner] of Object.entries(leaf.fields)) {
          const resolved = this.value(inner, `${field}.${name}`);
          if (resolved !== undefined) out[name] = resolved;
        }
        return out;
      }
      default:
        return assertUnreachable(leaf, 'payload value');
    }
  }

  payload(spec: WritebackSpec): Record<string, Resolved> {
    // The top level is always an object of canonical fields, never itself a {from}/{literal} value.
    const out: Record<string, Resolved> = {};
    for (const [name, value] of Object.entries(spec.payload)) {
      const resolved = this.value(value, `writebacks.${this.writebackId}.payload.${name}`);
      if (resolved !== undefined) out[name] = resolved;
    }
    return out;
  }
}

/**
 * Builds one writeback of an action from the case and what the customer submitted: the canonical payload from the
 * definition's template, validated against the writeback contract, and the idempotency key from the effective key
 * design, so the same business action always gets the same key. `attempt` > 0 is an agent-approved retry after a
 * permanent failure: it appends `#<attempt>` to the sequence, giving a new key on purpose.
 */
export function buildWriteback(
  definition: WorkflowDefinition,
  spec: WritebackSpec,
  caseFacts: CaseFacts,
  actionFacts: ActionFacts,
  attempt = 0,
): BuiltWriteback {
  if (caseFacts.workflowId !== definition.id)
    throw new FactsMismatchError(definition.id, caseFacts.workflowId);
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new RangeError(`buildWriteback: attempt must be an integer ≥ 0 (got ${attempt})`);
  }
  const facts: WritebackFacts = { ...caseFacts, action: actionFacts };
  const raw = new Builder(facts, spec.id).payload(spec);

  let payload: CanonicalPayload;
  try {
    payload = validateCanonicalPayload(spec.operation, raw);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new WritebackPayloadError(
      error.issues.map((i) => ({ path: `writebacks.${spec.id}.${i.path}`, rule: i.rule })),
      { cause: error },
    );
  }

  const design = spec.idempotency ?? definition.idempotency;
  const designPath = spec.idempotency ? `writebacks.${spec.id}.idempotency` : 'idempotency';
  const source = design === undefined ? 'no idempotency key design' : sequenceSourceProblem(design.sequence);
  if (design === undefined || source !== undefined) {
    // The readiness gate refuses such a definition; building from one anyway is a caller bug worth a clear error.
    throw new WorkflowDefinitionError([
      { source: `${definition.id}@v${definition.version}`, path: designPath, rule: source ?? 'is required' },
    ]);
  }
  const sequenceValue = resolveFactPath(facts, design.sequence);
  if (typeof sequenceValue !== 'string' && typeof sequenceValue !== 'number') {
    throw new MissingFactError(`${designPath}.sequence`, design.sequence);
  }
  const sequence = attempt === 0 ? String(sequenceValue) : `${sequenceValue}#${attempt}`;

  return {
    writebackId: spec.id,
    destination: spec.destination,
    protocol: spec.protocol,
    operation: spec.operation,
    mappingVersion: spec.mappingVersion,
    contractVersion: CONTRACT_VERSION,
    payload,
    payloadJson: canonicalJson(payload),
    idempotencyKey: idempotencyKey({
      customerId: caseFacts.customer.customerId,
      workflowId: definition.id,
      operation: spec.operation,
      sequence,
    }),
    required: spec.required,
  };
}

/** Every writeback of one action, in definition order; throws on the first that cannot be built. */
export function buildActionWritebacks(
  definition: WorkflowDefinition,
  actionId: string,
  caseFacts: CaseFacts,
  actionFacts: ActionFacts,
  attempt = 0,
): BuiltWriteback[] {
  const action = definition.actions.find((a) => a.id === actionId);
  if (action === undefined) {
    throw new WorkflowDefinitionError([
      {
        source: `${definition.id}@v${definition.version}`,
        path: 'actions',
        rule: `defines no action "${actionId}"`,
      },
    ]);
  }
  return action.writebacks.map((spec) => buildWriteback(definition, spec, caseFacts, actionFacts, attempt));
}
