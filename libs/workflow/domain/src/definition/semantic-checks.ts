import { assertUnreachable, type WritebackOperation } from '@closeout/writeback-domain';
import { factPathProblem, templatePlaceholders } from '../facts/fact-path';
import {
  conditionProblems,
  ELIGIBILITY_FACTS,
  PARAMETER_FACTS,
  type ConditionProblem,
} from '../eligibility/rule-conditions';
import { canonicalFieldProblem, canonicalFields } from './canonical-fields';
import { identityMethodsForRisk, identitySatisfies } from './identity-strength';
import { classifyPayloadValue, type PayloadLeaf } from './payload-value';
import type { PayloadValue, WorkflowDefinition, WritebackSpec } from './workflow-definition.schema';

/** Writeback result fields a completion proof may cite (writeback.result.v1). */
export const RESULT_PROOF_FIELDS = ['status', 'providerRef', 'attempts', 'latencyMs'] as const;

/** Operations that move the customer's money; DESIGN: "both [identity checks] for money movement". */
export const MONEY_MOVEMENT_OPERATIONS: readonly WritebackOperation[] = [
  'payment.post',
  'arrangement.create',
];

/** The mini-app action id the orchestrator handles itself for every workflow. */
export const RESERVED_ACTION_IDS: readonly string[] = ['decline'];

function leafFactPaths(leaf: Exclude<PayloadLeaf, { kind: 'object' }>): string[] {
  switch (leaf.kind) {
    case 'from':
      return [leaf.from];
    case 'template':
      return templatePlaceholders(leaf.template);
    case 'moneyDividedBy':
      return [leaf.money, leaf.by];
    case 'literal':
      return [];
    default:
      return assertUnreachable(leaf, 'payload value');
  }
}

function payloadProblems(spec: WritebackSpec, base: string, out: ConditionProblem[]): void {
  const walk = (fields: Record<string, PayloadValue>, parent: string[]): void => {
    const known = canonicalFields(spec.operation, parent) ?? [];
    for (const { name, required } of known) {
      if (required && !Object.prototype.hasOwnProperty.call(fields, name)) {
        out.push({
          path: `${base}.${[...parent, name].join('.')}`,
          rule: `is required by the ${spec.operation} canonical payload`,
        });
      }
    }
    for (const [name, value] of Object.entries(fields)) {
      const dotted = [...parent, name].join('.');
      const at = `${base}.${dotted}`;
      const notAField = canonicalFieldProblem(spec.operation, dotted);
      if (notAField !== undefined) {
        out.push({ path: at, rule: notAField });
        continue;
      }
      const leaf = classifyPayloadValue(value);
      if (leaf.kind === 'object') {
        walk(leaf.fields, [...parent, name]);
        continue;
      }
      for (const factPath of leafFactPaths(leaf)) {
        const problem = factPathProblem(factPath);
        if (problem !== undefined) out.push({ path: at, rule: problem });
      }
    }
  };
  walk(spec.payload, []);
}

/**
 * Rules across fields that the zod shape cannot express. Each problem names the field and the rule; all are
 * collected so a reviewer sees every one at once.
 */
export function semanticProblems(definition: WorkflowDefinition): ConditionProblem[] {
  const out: ConditionProblem[] = [];
  const actionIds = new Map<string, number>();
  const actionNames = new Map<string, number>();
  const writebacks = new Map<string, { spec: WritebackSpec; at: string }>();
  const protocolByDestination = new Map<string, { protocol: string; at: string }>();

  const allowed = identityMethodsForRisk(definition.identity.risk);
  if (!allowed.includes(definition.identity.method)) {
    out.push({
      path: 'identity.method',
      rule: `must be ${allowed.join(' or ')} for risk ${definition.identity.risk} (got ${definition.identity.method})`,
    });
  }

  definition.actions.forEach((action, i) => {
    const at = `actions[${i}]`;
    const firstId = actionIds.get(action.id);
    if (firstId !== undefined)
      out.push({ path: `${at}.id`, rule: `must be unique: "${action.id}" is also actions[${firstId}].id` });
    else actionIds.set(action.id, i);
    if (RESERVED_ACTION_IDS.includes(action.id)) {
      out.push({
        path: `${at}.id`,
        rule: `"${action.id}" is reserved: the orchestrator offers and handles it itself`,
      });
    }
    const firstName = actionNames.get(action.action);
    if (firstName !== undefined) {
      out.push({
        path: `${at}.action`,
        rule: `must be unique: "${action.action}" is also actions[${firstName}].action`,
      });
    } else actionNames.set(action.action, i);

    const effective = action.identity ?? definition.identity.method;
    if (action.identity !== undefined && !identitySatisfies(action.identity, definition.identity.method)) {
      out.push({
        path: `${at}.identity`,
        rule: `must be at least as strong as identity.method ${definition.identity.method} (got ${action.identity})`,
      });
    }
    const moving = action.writebacks.filter((w) => MONEY_MOVEMENT_OPERATIONS.includes(w.operation));
    if (moving.length > 0 && effective !== 'OTP_AND_KNOWN_FACT') {
      out.push({
        path: `${at}.identity`,
        rule: `must be OTP_AND_KNOWN_FACT: the action moves money (${moving.map((w) => `${w.id} ${w.operation}`).join(', ')}), effective identity is ${effective}`,
      });
    }

    if (action.eligibility !== undefined)
      out.push(...conditionProblems(action.eligibility, `${at}.eligibility`, ELIGIBILITY_FACTS));
    if (action.parameterRules !== undefined) {
      out.push(...conditionProblems(action.parameterRules, `${at}.parameterRules`, PARAMETER_FACTS));
    }

    action.writebacks.forEach((spec, j) => {
      const wat = `${at}.writebacks[${j}]`;
      const first = writebacks.get(spec.id);
      if (first !== undefined)
        out.push({
          path: `${wat}.id`,
          rule: `must be unique across the definition: "${spec.id}" is also ${first.at}.id`,
        });
      else writebacks.set(spec.id, { spec, at: wat });
      const seen = protocolByDestination.get(spec.destination);
      if (seen === undefined)
        protocolByDestination.set(spec.destination, { protocol: spec.protocol, at: wat });
      else if (seen.protocol !== spec.protocol) {
        out.push({
          path: `${wat}.protocol`,
          rule: `must be ${seen.protocol} like every writeback to ${spec.destination} (${seen.at}.protocol), got ${spec.protocol}`,
        });
      }
      payloadProblems(spec, `${wat}.payload`, out);
    });
  });

  definition.completion.proof.forEach((proof, i) => {
    const at = `completion.proof[${i}]`;
    const target = writebacks.get(proof.writeback);
    if (target === undefined) {
      out.push({
        path: `${at}.writeback`,
        rule: `must name a writeback of this definition (got "${proof.writeback}"; writebacks: ${[...writebacks.keys()].join(', ')})`,
      });
      return;
    }
    if (!target.spec.required) {
      out.push({
        path: `${at}.writeback`,
        rule: `"${proof.writeback}" is not required, so it cannot prove completion`,
      });
    }
    proof.fields.forEach((field, j) => {
      const [kind, ...rest] = field.split('.');
      const name = rest.join('.');
      if (kind === 'payload') {
        const problem = canonicalFieldProblem(target.spec.operation, name);
        if (problem !== undefined) out.push({ path: `${at}.fields[${j}]`, rule: problem });
      } else if (!(RESULT_PROOF_FIELDS as readonly string[]).includes(name)) {
        out.push({
          path: `${at}.fields[${j}]`,
          rule: `result.${name} is not a writeback result field (fields: ${RESULT_PROOF_FIELDS.join(', ')})`,
        });
      }
    });
  });

  const { reminders, expiry, quietHours } = definition.outreach;
  reminders.forEach((reminder, i) => {
    const previous = reminders[i - 1];
    if (previous !== undefined && reminder.ms <= previous.ms) {
      out.push({
        path: `outreach.reminders[${i}]`,
        rule: `must be later than outreach.reminders[${i - 1}] (${reminder.iso} ≤ ${previous.iso})`,
      });
    }
    if (reminder.ms >= expiry.ms) {
      out.push({
        path: `outreach.reminders[${i}]`,
        rule: `must be shorter than outreach.expiry ${expiry.iso} (got ${reminder.iso})`,
      });
    }
  });
  if (quietHours !== undefined && quietHours.start === quietHours.end) {
    out.push({ path: 'outreach.quietHours', rule: 'start and end must differ' });
  }
  return out;
}
