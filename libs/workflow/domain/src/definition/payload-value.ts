import type { PayloadValue } from './workflow-definition.schema';

/** A payload template value, told apart by its key so callers can switch over `kind` exhaustively. */
export type PayloadLeaf =
  | { kind: 'from'; from: string; as: 'string' | 'integer' | undefined; optional: boolean }
  | { kind: 'template'; template: string }
  | { kind: 'moneyDividedBy'; money: string; by: string }
  | { kind: 'literal'; literal: string | number | boolean }
  | { kind: 'object'; fields: Record<string, PayloadValue> };

const has = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

export function classifyPayloadValue(value: PayloadValue): PayloadLeaf {
  const v = value as Record<string, unknown>;
  if (has(v, 'from') && typeof v['from'] === 'string') {
    const as = v['as'] === 'string' || v['as'] === 'integer' ? v['as'] : undefined;
    return { kind: 'from', from: v['from'], as, optional: v['optional'] === true };
  }
  if (has(v, 'template') && typeof v['template'] === 'string')
    return { kind: 'template', template: v['template'] };
  if (has(v, 'moneyDividedBy')) {
    const m = v['moneyDividedBy'] as { money: string; by: string };
    return { kind: 'moneyDividedBy', money: m.money, by: m.by };
  }
  if (has(v, 'literal')) return { kind: 'literal', literal: v['literal'] as string | number | boolean };
  return { kind: 'object', fields: value as Record<string, PayloadValue> };
}
