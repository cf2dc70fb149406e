import { canonicalPayloadSchemas, type WritebackOperation } from '@closeout/writeback-domain';
import { z } from 'zod';

const schemas = canonicalPayloadSchemas();

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** The fields of an operation's canonical payload (or of a nested object in it), read from the writeback contract. */
export function canonicalFields(
  operation: WritebackOperation,
  parent: readonly string[] = [],
): { name: string; required: boolean; nested: boolean }[] | undefined {
  let shape = objectShape(schemas[operation]);
  for (const segment of parent) {
    const field = shape?.[segment];
    shape = field === undefined ? undefined : objectShape(field);
  }
  if (shape === undefined) return undefined;
  return Object.entries(shape).map(([name, field]) => ({
    name,
    required: !(field instanceof z.ZodOptional),
    nested: objectShape(field) !== undefined,
  }));
}

/** Why `dotted` (e.g. `amount.amountMinor`) is not a field of the operation's canonical payload, or undefined. */
export function canonicalFieldProblem(operation: WritebackOperation, dotted: string): string | undefined {
  const segments = dotted.split('.');
  for (let i = 0; i < segments.length; i++) {
    const fields = canonicalFields(operation, segments.slice(0, i));
    const name = segments[i];
    if (fields === undefined || name === undefined || !fields.some((f) => f.name === name)) {
      const where = i === 0 ? `the ${operation} canonical payload` : segments.slice(0, i).join('.');
      return `"${dotted}" is not a field of ${where} (fields: ${(fields ?? []).map((f) => f.name).join(', ') || 'none'})`;
    }
  }
  return undefined;
}
