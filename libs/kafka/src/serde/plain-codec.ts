import { DecodeError, type ValidationProblem } from '../kafka.errors';
import type { MessagePart, PlainPart } from './schema-catalog';

// Fatal: a byte sequence that is not UTF-8 is a broken message, not text with replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const describe = (spec: PlainPart): string => (spec.plain === 'utf8' ? 'a string' : 'a JSON value');

/** Problems with `value` as a plain part; empty when it can be written. */
export function validatePlain(spec: PlainPart, value: unknown): ValidationProblem[] {
  if (value === undefined || (value === null && spec.plain === 'utf8')) {
    return [{ path: '', rule: 'required', message: `must be ${describe(spec)}, got ${String(value)}` }];
  }
  switch (spec.plain) {
    case 'utf8':
      return typeof value === 'string'
        ? []
        : [{ path: '', rule: 'type:string', message: `must be a string, got ${typeof value}` }];
    case 'json': {
      try {
        if (JSON.stringify(value) !== undefined) return [];
      } catch (error) {
        return [
          { path: '', rule: 'json', message: `cannot be written as JSON: ${(error as Error).message}` },
        ];
      }
      return [{ path: '', rule: 'json', message: `cannot be written as JSON: got ${typeof value}` }];
    }
  }
}

/** The bytes of a plain part; call validatePlain first. */
export function encodePlain(spec: PlainPart, value: unknown): Buffer {
  return Buffer.from(spec.plain === 'utf8' ? (value as string) : JSON.stringify(value), 'utf8');
}

/** Reads a plain part; bytes that are not UTF-8 (or not JSON) throw DecodeError, a DLQ reason class. */
export function decodePlain(spec: PlainPart, part: MessagePart, bytes: Buffer | null): unknown {
  if (bytes === null) {
    if (spec.nullable) return null;
    throw new DecodeError(part === 'key' ? 'null-key' : 'null-value', part, `the ${part} is absent`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (error) {
    throw new DecodeError(
      spec.plain === 'utf8' ? 'bad-utf8' : 'bad-json',
      part,
      'the bytes are not UTF-8 text',
      {
        cause: error,
      },
    );
  }
  switch (spec.plain) {
    case 'utf8':
      return text;
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new DecodeError('bad-json', part, `not JSON: ${(error as Error).message}`, { cause: error });
      }
  }
}
