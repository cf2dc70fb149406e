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
import type { OutboxMessage } from '@closeout/outbox';
import { auditMessage, resultMessage } from './writeback-messages';
import type { WritebackMetrics } from './writeback-metrics';

export interface WritebackIntakeOptions {
  service: string;
  /** Requests for other protocols belong to another writeback service and are skipped. */
  protocol: Protocol;
  /** The destinations this service is configured for. */
  destinations: ReadonlySet<string>;
  /**
   * What to do with a request of this protocol for a destination this deployment does not serve. `report` (the
   * default): no deployment serves it; it is answered FAILED_PERMANENT, audited (`writeback.unserved`) and
   * dead-lettered (`unserved`), so a request nobody can serve is never silent. `skip`: another deployment of this
   * protocol trusting the same signing keys serves other destinations and reports instead; exactly one deployment
   * per protocol reports.
   */
  unserved?: 'report' | 'skip';
  ledger: LedgerRepository;
  mappings: MappingRegistry;
  /** Destinations that use another destination's mappings (see `mappingsOf` in the destination configs). */
  mappingsOf?: ReadonlyMap<string, string>;
  metrics: WritebackMetrics;
  /** Called after a new row was admitted, to wake the worker. */
  onAdmitted?: () => void;
  limits?: ContractLimits;
  now?: () => number;
}

export type IntakeOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'unserved'; reason: string }
  | { kind: 'rejected'; error: ValidationError }
  | AdmitOutcome;

/**
 * Step 1 of the ledger protocol: turn a `writeback.requested` message into a ledger row, exactly once per
 * (destination, idempotency key), before its Kafka offset is committed.
 *
 * - new key → PENDING row, due now;
 * - same key, same payload → nothing is written; a settled row has its result published again (`duplicate: true`);
 * - same key, different payload → REJECTED_CONFLICT result and audit event, the existing row untouched;
 * - a request that breaks the contract or has no mapping → FAILED_PERMANENT result naming each field and rule, and
 *   an audit event; it never reaches the ledger's queue;
 * - a request for another protocol → skipped: that protocol's service answers it;
 * - a request of this protocol for a destination this deployment does not serve → unserved (FAILED_PERMANENT result
 *   naming the reason, `writeback.unserved` audit event, counted; the caller dead-letters it as `unserved`), or
 *   skipped (counted) where another deployment of this protocol reports (`unserved: 'skip'`). A request whose
 *   protocol does not match its destination's is thus reported once, by the service of the protocol it names.
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
    const [outcome] = await this.handleMany([request]);
    return outcome!;
  }

  /**
   * A batch of requests (one Kafka partition batch) with one multi-row admission; outcomes in input order. Safe to
   * call again with the same batch after a failure: admission is idempotent and replies are harmless to repeat.
   */
  async handleMany(requests: readonly WritebackRequested[]): Promise<IntakeOutcome[]> {
    const { ledger, metrics } = this.options;
    const outcomes: IntakeOutcome[] = new Array<IntakeOutcome>(requests.length);
    const toAdmit: Array<{ index: number; request: WritebackRequested; fingerprint: string }> = [];
    const replies: OutboxMessage[] = [];

    requests.forEach((request, index) => {
      if (request.protocol !== this.options.protocol) {
        outcomes[index] = { kind: 'skipped', reason: `protocol ${request.protocol} is served elsewhere` };
        return;
      }
      // Several deployments of one writeback service may share the topic, each serving its own destinations (a
      // bank's UAT next to production, a harness next to the main job): another's request is not ours to refuse.
      if (!this.options.destinations.has(request.destination)) {
        if ((this.options.unserved ?? 'report') === 'skip') {
          metrics.skipped.labels({ destination: request.destination }).inc();
          outcomes[index] = {
            kind: 'skipped',
            reason: `destination ${request.destination} is not served here`,
          };
          return;
        }
        const reason = this.unservedReason(request);
        metrics.unserved.inc();
        outcomes[index] = { kind: 'unserved', reason };
        replies.push(...this.unservedReplies(request, reason));
        return;
      }
      try {
        toAdmit.push({ index, request, fingerprint: this.check(request) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        outcomes[index] = { kind: 'rejected', error };
        replies.push(...this.rejection(request, error));
      }
    });

    const admissions = await ledger.admitMany(toAdmit);
    let admittedAny = false;
    admissions.forEach((outcome, i) => {
      const { index, request, fingerprint } = toAdmit[i]!;
      outcomes[index] = outcome;
      switch (outcome.kind) {
        case 'admitted':
          admittedAny = true;
          return;
        case 'duplicate':
          metrics.duplicatesPrevented.labels({ destination: request.destination }).inc();
          if (isTerminal(outcome.row.status)) {
            // The requester may have missed the result: tell it again, from the ledger, without touching the destination.
            replies.push(
              resultMessage(request, {
                status: outcome.row.status,
                providerRef: outcome.row.providerRef,
                errorClass: outcome.row.lastErrorClass,
                errorMessage: outcome.row.lastErrorMessage,
                attempts: outcome.row.attempts,
                duplicate: true,
                now: this.now(),
              }),
            );
          }
          return;
        case 'conflict':
          metrics.conflicts.labels({ destination: request.destination }).inc();
          // Written again on redelivery: whether the first reply made it out before a crash is not known here, and
          // a second identical rejection is harmless.
          replies.push(...this.conflictReplies(request, fingerprint, outcome));
          return;
      }
    });
    if (replies.length > 0) await ledger.enqueue(replies);
    if (admittedAny) this.options.onAdmitted?.();
    return outcomes;
  }

  /** Everything checked before admission; returns the request's fingerprint or throws ValidationError. */
  private check(request: WritebackRequested): string {
    const parsed = parseWritebackRequest(request, this.options.limits);
    // Mapping first, so a request pinned to a mapping version that does not exist is refused now, not at send time.
    this.options.mappings.get(
      this.options.mappingsOf?.get(request.destination) ?? request.destination,
      parsed.operation,
      request.mappingVersion,
    );
    return parsed.fingerprint;
  }

  private conflictReplies(
    request: WritebackRequested,
    fingerprint: string,
    outcome: Extract<AdmitOutcome, { kind: 'conflict' }>,
  ): OutboxMessage[] {
    const now = this.now();
    const reason =
      `idempotency key ${request.idempotencyKey} is already held by another request with a different payload ` +
      `(fingerprint ${outcome.conflict.existingFingerprint.slice(0, 12)}… vs ${fingerprint.slice(0, 12)}…): ` +
      'refused, the destination never sees this payload';
    return [
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
    ];
  }

  private unservedReason(request: WritebackRequested): string {
    const served = [...this.options.destinations].sort().join(', ');
    return (
      `no ${this.options.protocol} writeback deployment serves destination ${request.destination} ` +
      `(served: ${served || 'none'}); nothing was sent`
    );
  }

  /** The answer to a request nobody serves: a final failure (nothing was sent) and its audit event. */
  private unservedReplies(request: WritebackRequested, reason: string): OutboxMessage[] {
    const now = this.now();
    return [
      resultMessage(request, {
        status: 'FAILED_PERMANENT',
        providerRef: null,
        errorClass: 'VALIDATION',
        errorMessage: `unserved: ${reason}`,
        attempts: 0,
        now,
      }),
      auditMessage(this.options.service, request, {
        action: 'writeback.unserved',
        outcome: 'DENIED',
        reason: `request for a destination no deployment serves, dead-lettered: ${reason}`,
        references: { eventId: request.eventId, protocol: request.protocol },
        now,
      }),
    ];
  }

  private rejection(request: WritebackRequested, error: ValidationError): OutboxMessage[] {
    const now = this.now();
    this.options.metrics.rejected
      .labels({ destination: request.destination, reason: error.issues[0]?.path ?? 'request' })
      .inc();
    return [
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
    ];
  }
}
