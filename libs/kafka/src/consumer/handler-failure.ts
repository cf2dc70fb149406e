import { redactText } from '@closeout/privacy';
import { KafkaError, PoisonMessageError, TransientError } from '../kafka.errors';
import { publishFailureOf } from '../producer/publish-failure';

/**
 * What a handler's error says about the message it was handling:
 * - `poison`: the handler says it can never succeed (`PoisonMessageError`): dead-lettered at once.
 * - `transient`: a dependency is unavailable (network, database connection or resources, lock or serialization
 *   conflict, Kafka, or `TransientError`): says nothing about the message, retried in place without limit, so an
 *   outage never dead-letters good messages.
 * - `deterministic`: anything else (a constraint, an encoding error, a driver error, a TypeError): retried up to
 *   `maxAttempts`, then dead-lettered as `exhausted` so the partition moves on.
 */
export type HandlerFailureKind = 'poison' | 'transient' | 'deterministic';

/** Node (libuv, dns) and undici error codes of a dependency that cannot be reached right now. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  // opossum: the circuit around a dependency is open.
  'EOPENBREAKER',
]);

/**
 * PostgreSQL SQLSTATEs that are about the server or the moment, not the statement: connection exceptions (class 08,
 * but 08P01, a protocol violation a statement can cause by itself, e.g. too many bind parameters), insufficient
 * resources (53), operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now,
 * 57014 statement timeout), system errors outside PostgreSQL (58), serialization failure and deadlock
 * (40001, 40P01) and lock not available (55P03).
 */
export function isTransientSqlState(code: string): boolean {
  if (!/^[0-9A-Z]{5}$/.test(code)) return false;
  if (code === '08P01') return false;
  const cls = code.slice(0, 2);
  return (
    cls === '08' ||
    cls === '53' ||
    cls === '58' ||
    ['57P01', '57P02', '57P03', '57014', '40001', '40P01', '55P03'].includes(code)
  );
}

/** node-postgres, pg-pool and TypeORM saying the connection or pool is gone or busy, which carry no SQLSTATE. */
const TRANSIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];
const TRANSIENT_NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'CannotGetEntityManagerNotConnectedError',
  'ConnectionIsNotSetError',
  // AbortSignal.timeout() and fetch timeouts.
  'TimeoutError',
]);

/** The error and what caused it (`cause`, an AggregateError's `errors`), depth-bounded against cycles. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (e === undefined || e === null || depth > 8 || out.includes(e)) return;
    out.push(e);
    if (typeof e !== 'object') return;
    walk((e as { cause?: unknown }).cause, depth + 1);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) walk(inner, depth + 1);
  };
  walk(error, 0);
  return out;
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}

/** One error of the chain, by itself. */
function isTransientOne(error: unknown): boolean {
  if (error instanceof TransientError) return true;
  if (error instanceof KafkaError) {
    // A handler decoding something of its own is wrong the same way every time; a publish from the handler is
    // transient unless its messages can never be published (publishFailureOf).
    if (error.code === 'KAFKA_DECODE' || error.code === 'KAFKA_POISON_MESSAGE') return false;
    return !publishFailureOf(error).permanent;
  }
  if (typeof error !== 'object' || error === null) return false;
  const code = codeOf(error);
  if (code !== undefined && (TRANSIENT_NETWORK_CODES.has(code) || isTransientSqlState(code))) return true;
  // kafkajs marks what its own retries would retry (broker down, no leader, request timeout).
  if ((error as { retriable?: unknown }).retriable === true) return true;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  return typeof message === 'string' && TRANSIENT_MESSAGES.some((m) => m.test(message));
}

/**
 * Classifies an error a handler threw. `PoisonMessageError` thrown by the handler wins; otherwise the failure is
 * transient when the error or anything that caused it is (a `TypeError('fetch failed')` caused by ECONNREFUSED is a
 * network failure, not a bug), and deterministic when nothing in it points at a dependency.
 */
export function classifyHandlerError(error: unknown): HandlerFailureKind {
  if (error instanceof PoisonMessageError) return 'poison';
  return chain(error).some(isTransientOne) ? 'transient' : 'deterministic';
}

const MAX_DETAIL_LENGTH = 300;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$.]{0,62}$/;

/** Where a PostgreSQL error happened (table, column, constraint: names from the schema, not values), if it says. */
function sqlLocationOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as { table?: unknown; column?: unknown; constraint?: unknown; driverError?: unknown };
  const parts = (['table', 'column', 'constraint'] as const).flatMap((k) => {
    const v = fields[k] ?? (fields.driverError as Record<string, unknown> | undefined)?.[k];
    return typeof v === 'string' && IDENTIFIER.test(v) ? [`${k} ${v}`] : [];
  });
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * The error named for a DLQ reason or a health report: its class, the first code found in it or its causes
 * (a SQLSTATE, a Node error code), and, unless `withMessage` is false, its message bounded and with card numbers and
 * contact points masked. Never the message's content otherwise: the caller decides what else to add.
 */
export function describeHandlerError(error: unknown, withMessage = true): string {
  const name =
    error instanceof Error
      ? error.name && error.name !== 'Error' && error.name !== 'error' // node-postgres names its errors 'error'
        ? error.name
        : error.constructor.name || 'Error'
      : typeof error;
  const code = chain(error)
    .map(codeOf)
    .find((c) => c !== undefined);
  const label = code !== undefined ? `${name} (code ${redactText(code.slice(0, 40))})` : name;
  if (!withMessage) return label;
  // PostgreSQL's messages for data and integrity errors (classes 22, 23) quote the value refused
  // (`invalid input syntax for type uuid: "…"`), which may be anyone's personal data: name where, never what.
  if (code !== undefined && /^2[23][0-9A-Z]{3}$/.test(code)) {
    const where = chain(error)
      .map(sqlLocationOf)
      .find((w) => w !== undefined);
    return where ? `${label} at ${where}` : label;
  }
  const raw = error instanceof Error ? error.message : String(error);
  // Masked before cutting (masking keeps the length), so a card number at the cut is not left half readable.
  const masked = redactText(raw.slice(0, MAX_DETAIL_LENGTH * 2));
  const message = masked.length > MAX_DETAIL_LENGTH ? `${masked.slice(0, MAX_DETAIL_LENGTH)}...` : masked;
  return message ? `${label}: ${message}` : label;
}
