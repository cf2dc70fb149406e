import type { Protocol, WritebackRequested } from '@closeout/contracts';
import {
  isTerminal,
  parseWritebackRequest,
  ValidationError,
  type ContractLimits,
  type MappingRegistry,
} from '@closeout/writeback-domain';
import type { LedgerRepository } from '../ledger/ledger.repository';
import type { AdmitOutcome } from '../ledger/ledger.types';
import { auditMessage, resultMessage } from './writeback-messages';
import type { WritebackMetrics } from './writeback-metrics';

export interface WritebackIntakeOptions {
  service: string;
  /** Requests for other protocols belong to another writeback service and are skipped. */
  protocol: Protocol;
  /** The destinations this service is configured for. */
  destinations: ReadonlySet<string>;
  ledger: LedgerRepository;
  mappings: MappingRegistry;
  metrics: WritebackMetrics;
  /** Called after a new row was admitted, to wake the worker. */
  onAdmitted?: () => void;
  limits?: ContractLimits;
  now?: () => number;
}

export type IntakeOutcome =
  { kind: 'skipped'; reason: string } | { kind: 'rejected'; error: ValidationError } | AdmitOutcome;

/**
 * Step 1 of the ledger protocol: turn a `writeback.requested` message into a ledger row, exactly once per
 * (destination, idempotency key), before its Kafka offset is committed.
 *
 * - new key → PENDING row, due now;
 * - same key, same payload → nothing is written; a settled row has its result published again (`duplicate: true`);
 * - same key, different payload → REJECTED_CONFLICT result and audit event, the existing row untouched;
 * - a request that breaks the contract, names a destination this service does not serve, or has no mapping →
 *   FAILED_PERMANENT result naming each field and rule, and an audit event; it never reaches the ledger's queue.
 *
 * Replies go through the outbox like every other message, so a crash between admission and reply loses nothing:
 * the redelivered request finds its row and replies again.
 */
export class WritebackIntake {
  private readonly now: () => number;

  constructor(private readonly options: WritebackIntakeOptions) {
    this.now = options.now ?? Date.now;
  }

  async handle(request: WritebackRequested): Promise<IntakeOutcome> {
    const { ledger, metrics } = this.options;
    if (request.protocol !== this.options.protocol) {
      return { kind: 'skipped', reason: `protocol ${request.protocol} is served elsewhere` };
    }

    let fingerprint: string;
    try {
      if (!this.options.destinations.has(request.destination)) {
        throw new ValidationError([
          {
            path: 'destination',
            rule: `must be a destination configured for ${this.options.service} (${[...this.options.destinations].sort().join(', ')})`,
          },
        ]);
      }
      const parsed = parseWritebackRequest(request, this.options.limits);
      // Mapping first, so a request pinned to a mapping version that does not exist is refused now, not at send time.
      this.options.mappings.get(request.destination, parsed.operation, request.mappingVersion);
      fingerprint = parsed.fingerprint;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await this.reject(request, error);
      return { kind: 'rejected', error };
    }

    const outcome = await ledger.admit(request, fingerprint);
    switch (outcome.kind) {
      case 'admitted':
        this.options.onAdmitted?.();
        return outcome;
      case 'duplicate':
        metrics.duplicatesPrevented.labels({ destination: request.destination }).inc();
        if (isTerminal(outcome.row.status)) {
          // The requester may have missed the result: tell it again, from the ledger, without touching the destination.
          await ledger.enqueue([
            resultMessage(request, {
              status: outcome.row.status,
              providerRef: outcome.row.providerRef,
              errorClass: outcome.row.lastErrorClass,
              errorMessage: outcome.row.lastErrorMessage,
              attempts: outcome.row.attempts,
              duplicate: true,
              now: this.now(),
            }),
          ]);
        }
        return outcome;
      case 'conflict': {
        metrics.conflicts.labels({ destination: request.destination }).inc();
        const now = this.now();
        const reason =
          `idempotency key ${request.idempotencyKey} is already held by another request with a different payload ` +
          `(fingerprint ${outcome.conflict.existingFingerprint.slice(0, 12)}… vs ${fingerprint.slice(0, 12)}…): ` +
          'refused, the destination never sees this payload';
        // Written again on redelivery: whether the first reply made it out before a crash is not known here, and a
        // second identical rejection is harmless.
        await ledger.enqueue([
          resultMessage(request, {
            status: 'REJECTED_CONFLICT',
            providerRef: null,
            errorClass: 'CONFLICT',
            errorMessage: reason,
            attempts: 0,
            now,
          }),
          auditMessage(this.options.service, request, {
            action: 'writeback.conflict_rejected',
            outcome: 'DENIED',
            reason,
            references: {
              existingLedgerId: outcome.row.id,
              existingFingerprint: outcome.conflict.existingFingerprint,
              rejectedFingerprint: fingerprint,
              rejectedEventId: request.eventId,
              existingCaseId: outcome.row.caseId,
            },
            now,
          }),
        ]);
        return outcome;
      }
    }
  }

  private async reject(request: WritebackRequested, error: ValidationError): Promise<void> {
    const now = this.now();
    this.options.metrics.rejected
      .labels({ destination: request.destination, reason: error.issues[0]?.path ?? 'request' })
      .inc();
    await this.options.ledger.enqueue([
      resultMessage(request, {
        status: 'FAILED_PERMANENT',
        providerRef: null,
        errorClass: 'VALIDATION',
        errorMessage: error.message,
        attempts: 0,
        now,
      }),
      auditMessage(this.options.service, request, {
        action: 'writeback.rejected',
        outcome: 'DENIED',
        reason: `request refused before admission, routed to correction: ${error.message}`,
        references: { eventId: request.eventId },
        now,
      }),
    ]);
  }
}
