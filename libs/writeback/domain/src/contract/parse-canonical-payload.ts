import type { WritebackRequested } from '@closeout/contracts';
import { ValidationError } from '../errors';
import { requestFingerprint } from '../fingerprint';
import { CONTRACT_VERSION } from './contract-version';
import { isWritebackOperation, WRITEBACK_OPERATIONS, type WritebackOperation } from './operations';
import {
  canonicalPayloadSchemas,
  DEFAULT_CONTRACT_LIMITS,
  type CanonicalPayload,
  type ContractLimits,
} from './payload-schemas';
import { formatIssues } from './schema-rules';

const defaultSchemas = canonicalPayloadSchemas();

function schemasFor(limits: ContractLimits) {
  return limits === DEFAULT_CONTRACT_LIMITS ? defaultSchemas : canonicalPayloadSchemas(limits);
}

function assertOperation(operation: string): asserts operation is WritebackOperation {
  if (!isWritebackOperation(operation)) {
    throw new ValidationError([
      { path: 'operation', rule: `must be one of ${WRITEBACK_OPERATIONS.join(', ')} (got "${operation}")` },
    ]);
  }
}

/** Validates an already-decoded canonical payload; throws `ValidationError` naming every offending field. */
export function validateCanonicalPayload<Op extends WritebackOperation>(
  operation: Op,
  payload: unknown,
  limits?: ContractLimits,
): CanonicalPayload<Op>;
export function validateCanonicalPayload(
  operation: string,
  payload: unknown,
  limits?: ContractLimits,
): CanonicalPayload;
export function validateCanonicalPayload(
  operation: string,
  payload: unknown,
  limits: ContractLimits = DEFAULT_CONTRACT_LIMITS,
): CanonicalPayload {
  assertOperation(operation);
  const result = schemasFor(limits)[operation].safeParse(payload);
  if (!result.success) throw new ValidationError(formatIssues('payload', result.error.issues));
  return result.data;
}

/** Parses `WritebackRequested.payloadJson` for `operation` into its typed canonical payload. */
export function parseCanonicalPayload<Op extends WritebackOperation>(
  operation: Op,
  payloadJson: string,
  limits?: ContractLimits,
): CanonicalPayload<Op>;
export function parseCanonicalPayload(
  operation: string,
  payloadJson: string,
  limits?: ContractLimits,
): CanonicalPayload;
export function parseCanonicalPayload(
  operation: string,
  payloadJson: string,
  limits: ContractLimits = DEFAULT_CONTRACT_LIMITS,
): CanonicalPayload {
  assertOperation(operation);
  let decoded: unknown;
  try {
    decoded = JSON.parse(payloadJson);
  } catch (error) {
    throw new ValidationError([
      {
        path: 'payload',
        rule: `must be valid JSON (${error instanceof Error ? error.message : String(error)})`,
      },
    ]);
  }
  return validateCanonicalPayload(operation, decoded, limits);
}

export interface ParsedWritebackRequest<Op extends WritebackOperation = WritebackOperation> {
  request: WritebackRequested;
  operation: Op;
  payload: CanonicalPayload<Op>;
  /** See fingerprint.ts: compared by the ledger to tell a duplicate from a conflict. */
  fingerprint: string;
}

/**
 * Everything a writeback service checks about a `writeback.requested` message before it touches the ledger:
 * contract version, operation, payload. Throws `ValidationError` (never retried) otherwise.
 */
export function parseWritebackRequest(
  request: WritebackRequested,
  limits: ContractLimits = DEFAULT_CONTRACT_LIMITS,
): ParsedWritebackRequest {
  if (request.contractVersion !== CONTRACT_VERSION) {
    throw new ValidationError([
      { path: 'contractVersion', rule: `must be "${CONTRACT_VERSION}" (got "${request.contractVersion}")` },
    ]);
  }
  const { operation } = request;
  assertOperation(operation);
  const payload = parseCanonicalPayload(operation, request.payloadJson, limits);
  return {
    request,
    operation,
    payload,
    fingerprint: requestFingerprint({ destination: request.destination, operation, payload }),
  };
}
