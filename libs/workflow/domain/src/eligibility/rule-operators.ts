import { Operator } from 'json-rules-engine';

/**
 * Upstream attributes and mini-app parameters arrive as strings (Avro map<string,string>), and the engine's own
 * lessThan & co. compare whatever they are given, so `"90" < "180"` would be compared as text. These operators
 * compare numbers honestly: a fact or value that is not a decimal number (or a numeric string) fails the condition
 * instead of being coerced.
 */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

const numeric = (name: string, compare: (a: number, b: number) => boolean): Operator =>
  new Operator(name, (fact: unknown, value: unknown) => {
    const a = toNumber(fact);
    const b = toNumber(value);
    return a !== undefined && b !== undefined && compare(a, b);
  });

export const NUMERIC_OPERATORS: readonly Operator[] = [
  numeric('numberEqual', (a, b) => a === b),
  numeric('numberNotEqual', (a, b) => a !== b),
  numeric('numberLessThan', (a, b) => a < b),
  numeric('numberLessThanInclusive', (a, b) => a <= b),
  numeric('numberGreaterThan', (a, b) => a > b),
  numeric('numberGreaterThanInclusive', (a, b) => a >= b),
];

/**
 * `present: true` holds when the fact (at its path) has a value that is not null or the empty string; `present:
 * false` when it has none. The engine's notEqual cannot say this: an absent path reads as undefined, which is
 * "not equal" to anything.
 */
export const PRESENT_OPERATOR = new Operator('present', (fact: unknown, value: unknown) => {
  const present = fact !== undefined && fact !== null && fact !== '';
  return value === present;
});

/** Every operator Closeout adds to the engine. */
export const CLOSEOUT_OPERATORS: readonly Operator[] = [...NUMERIC_OPERATORS, PRESENT_OPERATOR];

/** The operators json-rules-engine 7 ships (its README, "Operators"), which the engine resolves by name at run time. */
export const ENGINE_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;

/** Built-in operators that compare with `<`/`>` and so silently compare text when handed a string. */
export const TEXT_UNSAFE_OPERATORS: readonly string[] = [
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
];

/** Decorators (`not:equal`, `someFact:in`, …) json-rules-engine 7 ships. */
export const ENGINE_DECORATORS = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not'] as const;

export const KNOWN_OPERATORS: readonly string[] = [
  ...ENGINE_OPERATORS,
  ...CLOSEOUT_OPERATORS.map((o) => o.name),
];

/** Why an operator name (possibly decorated, `not:numberEqual`) is unknown to the engine, or undefined. */
export function operatorProblem(name: string): string | undefined {
  const parts = name.split(':');
  const base = parts.pop() ?? '';
  const badDecorator = parts.find((d) => !(ENGINE_DECORATORS as readonly string[]).includes(d));
  if (badDecorator !== undefined) {
    return `unknown operator decorator "${badDecorator}" (known: ${ENGINE_DECORATORS.join(', ')})`;
  }
  if (!KNOWN_OPERATORS.includes(base)) {
    return `unknown operator "${base}" (known: ${KNOWN_OPERATORS.join(', ')})`;
  }
  return undefined;
}

/** The operator in words, for refusal reasons a person reads. */
export function operatorInWords(name: string): string {
  const words: Record<string, string> = {
    equal: 'must equal',
    notEqual: 'must not equal',
    in: 'must be one of',
    notIn: 'must not be one of',
    contains: 'must contain',
    doesNotContain: 'must not contain',
    lessThan: 'must be less than',
    lessThanInclusive: 'must be at most',
    greaterThan: 'must be more than',
    greaterThanInclusive: 'must be at least',
    numberEqual: 'must be the number',
    numberNotEqual: 'must not be the number',
    numberLessThan: 'must be a number less than',
    numberLessThanInclusive: 'must be a number at most',
    numberGreaterThan: 'must be a number more than',
    numberGreaterThanInclusive: 'must be a number at least',
  };
  return words[name] ?? `must satisfy ${name}`;
}
