import type { Type } from 'avsc';
import type { ValidationProblem } from '../kafka.errors';

/** The avsc type classes we describe; avsc's own typings do not expose these as a union. */
interface DescribedType {
  typeName: string;
  name?: string | undefined;
  symbols?: string[];
  types?: DescribedType[];
  fields?: Array<{ name: string }>;
  itemsType?: DescribedType;
  valuesType?: DescribedType;
}

function formatPath(path: string[], types: Array<DescribedType | undefined>): string {
  // avsc gives array indices as strings; print them as [i] so `items[1]` reads as what it is.
  return path.reduce((acc, segment, i) => {
    if (types[i]?.typeName === 'array') return `${acc}[${segment}]`;
    return acc ? `${acc}.${segment}` : segment;
  }, '');
}

/** A short human name for an Avro type, used in "must be …" messages. */
export function describeType(type: DescribedType): string {
  switch (type.typeName) {
    case 'string':
      return 'a string';
    case 'int':
      return 'a 32-bit integer (int)';
    case 'long':
      return 'a safe integer (long)';
    case 'float':
    case 'double':
      return `a number (${type.typeName})`;
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'bytes':
      return 'a Buffer (bytes)';
    case 'fixed':
      return `a Buffer (fixed ${type.name ?? ''})`.trim();
    case 'enum':
      return `one of ${(type.symbols ?? []).join(', ')}`;
    case 'array':
      return `an array${type.itemsType ? ` of ${describeType(type.itemsType)}` : ''}`;
    case 'map':
      return `an object map${type.valuesType ? ` of ${describeType(type.valuesType)}` : ''}`;
    case 'record':
    case 'error':
      return `an object (record ${type.name ?? ''})`.trim();
    default:
      // Unions: avsc names them `union:wrapped` / `union:unwrapped`.
      if (type.typeName.startsWith('union') && type.types) return type.types.map(describeType).join(' or ');
      return type.typeName;
  }
}

function ruleFor(type: DescribedType, value: unknown): string {
  if (value === undefined) return 'required';
  if (type.typeName === 'enum') return 'enum';
  if (type.typeName.startsWith('union')) return 'union';
  return `type:${type.typeName}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Resolves the avsc type at each step of a path so array segments can be printed as indices. */
function typesAlong(root: DescribedType, path: string[]): Array<DescribedType | undefined> {
  const out: Array<DescribedType | undefined> = [];
  let current: DescribedType | undefined = root;
  for (const segment of path) {
    out.push(current);
    if (!current) continue;
    if (current.typeName === 'array') current = current.itemsType;
    else if (current.typeName === 'map') current = current.valuesType;
    else if (current.typeName === 'record' || current.typeName === 'error') {
      const field = (
        current as unknown as { field(name: string): { type: DescribedType } | undefined }
      ).field(segment);
      current = field?.type;
    } else current = undefined;
  }
  return out;
}

/**
 * Checks `value` against an Avro type and says, per field, which rule it breaks. Empty when valid.
 * Fields the schema does not declare are refused too: they would be dropped silently on encode, which
 * hides typos such as `consentref` for `consentRef`.
 */
export function validateAvro(type: Type, value: unknown): ValidationProblem[] {
  const root = type as unknown as DescribedType;
  if (value === null || value === undefined) {
    return [{ path: '', rule: 'required', message: `must be ${describeType(root)}, got ${show(value)}` }];
  }
  const problems: ValidationProblem[] = [];
  type.isValid(value, {
    errorHook: (path: string[], got: unknown, at: Type) => {
      const described = at as unknown as DescribedType;
      const where = formatPath(path, typesAlong(root, path));
      const subject = where ? `field "${where}"` : 'record';
      const message =
        got === undefined
          ? `${subject} is required: must be ${describeType(described)}`
          : `${subject} must be ${describeType(described)}, got ${show(got)}`;
      problems.push({ path: where, rule: ruleFor(described, got), message });
    },
  });
  if (problems.length > 0) return problems;

  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path: string[], got: unknown, at: Type) => {
      const described = at as unknown as DescribedType;
      const declared = new Set((described.fields ?? []).map((f) => f.name));
      const extra = got && typeof got === 'object' ? Object.keys(got).filter((k) => !declared.has(k)) : [];
      const base = formatPath(path, typesAlong(root, path));
      for (const name of extra) {
        const where = base ? `${base}.${name}` : name;
        problems.push({
          path: where,
          rule: 'undeclared-field',
          message: `field "${where}" is not declared in ${described.name ?? 'the schema'}`,
        });
      }
    },
  });
  return problems;
}
