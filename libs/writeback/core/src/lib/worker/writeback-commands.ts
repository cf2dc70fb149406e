import type { Protocol, WritebackCommand } from '@closeout/contracts';
import {
  assertTransition,
  assertUnreachable,
  isTerminal,
  type UnknownLookupResult,
} from '@closeout/writeback-domain';
import type { LookupQuery } from '../destination/writeback-destination';
import type { LedgerRepository } from '../ledger/ledger.repository';
import type { CommandOutcomeKind, LedgerRow } from '../ledger/ledger.types';
import type { OutboxMessage } from '@closeout/outbox';
import { commandAuditMessage, resultMessage } from './writeback-messages';
import type { WritebackMetrics } from './writeback-metrics';

export interface WritebackCommandHandlerOptions {
  service: string;
  /** Commands for other protocols belong to another writeback service and are skipped (counted). */
  protocol: Protocol;
  /** The destinations this deployment serves; commands for others are skipped (counted). */
  destinations: ReadonlySet<string>;
  ledger: LedgerRepository;
  metrics: WritebackMetrics;
  /** Called after a row became due, to wake the worker. */
  onMarked?: () => void;
  /**
   * Asks a destination what it holds under a key: the worker's lookup, through the destination's circuit breaker.
   * With it, RESOLVE or REPLAY on a FAILED_PERMANENT row settles a false failure from the destination's answer;
   * without it, such a row's stored result is only published again.
   */
  lookup?: (destination: string, query: LookupQuery) => Promise<UnknownLookupResult>;
  /** Bound on one such lookup (the destination's own timeouts apply inside it). Default 10 s. */
  lookupTimeoutMs?: number;
  now?: () => number;
}

/** What the destination answered when asked about a FAILED_PERMANENT row, and when. */
interface DestinationEvidence {
  lookup: UnknownLookupResult;
  startedAt: Date;
  finishedAt: Date;
}

export type CommandHandling =
  | { kind: 'skipped'; reason: string }
  /** This command id was acted on before: nothing happens again. */
  | { kind: 'duplicate' }
  | {
      kind: 'handled';
      outcome: CommandOutcomeKind;
      ledgerId: string | null;
      /** Set when the command settled a false failure: FAILED_PERMANENT → APPLIED on the destination's word. */
      appliedOnEvidence?: { providerRef: string };
    };

/**
 * `writeback.command.v1` from the reconciler (the second line of defence), acted on once per command id:
 *
 * - RESOLVE → the ledger row becomes due for resolution by lookup now (the worker's RESOLVE path: ask the
 *   destination first, never send blind);
 * - REPLAY → the same: the lookup runs first, and only when the destination says it holds nothing does the retry
 *   policy send again, under the same idempotency key. A settled row is never re-sent by command.
 * - RESOLVE/REPLAY on a settled row → its stored result is published again, so whoever missed it sees it;
 * - RESOLVE/REPLAY on a FAILED_PERMANENT row → the destination is asked first (never sent to): only when it
 *   confirms a posting under the key does the row become APPLIED with its provider ref, an attempt, an audit event
 *   and a fresh `writeback.result` (a false failure: the core committed, then answered with an error). Any other
 *   answer leaves the failure as it is and publishes it again;
 * - FLAG → recorded and audited, the row untouched, and no `writeback.result`: nothing about the writeback
 *   changed, and the orchestrator opens its exception from the FLAG on the command topic itself.
 *
 * The command row, the ledger change and the outbox messages commit in one transaction, so a crash in between
 * leaves nothing half done and the redelivered command finds its id recorded only if all of it happened.
 */
export class WritebackCommandHandler {
  private readonly now: () => number;

  constructor(private readonly options: WritebackCommandHandlerOptions) {
    this.now = options.now ?? Date.now;
  }

  async handle(command: WritebackCommand): Promise<CommandHandling> {
    const { metrics } = this.options;
    if (command.protocol !== this.options.protocol || !this.options.destinations.has(command.destination)) {
      metrics.commands.labels({ command: command.command, outcome: 'skipped_not_owned' }).inc();
      return {
        kind: 'skipped',
        reason: `${command.protocol} destination ${command.destination} is not served here`,
      };
    }
    const evidence = await this.askDestination(command);
    let marked = false;
    const handling = await this.options.ledger.transaction(async (tx): Promise<CommandHandling> => {
      const row = await tx.findByKey(command.destination, command.idempotencyKey);
      const plan = this.plan(command, row, evidence);
      const fresh = await tx.recordCommand({
        commandId: command.commandId,
        command: command.command,
        destination: command.destination,
        idempotencyKey: command.idempotencyKey,
        caseId: command.caseId,
        breakId: command.breakId,
        ledgerId: row?.id ?? null,
        outcome: plan.outcome,
        detail: plan.detail,
        issuedBy: command.issuedBy,
      });
      if (!fresh) return { kind: 'duplicate' };
      if (plan.applyOnEvidence && row) {
        const providerRef = await this.applyOnEvidence(tx, command, row, plan.applyOnEvidence, plan.detail);
        return {
          kind: 'handled',
          outcome: plan.outcome,
          ledgerId: row.id,
          appliedOnEvidence: { providerRef },
        };
      }
      let outcome = plan.outcome;
      if (outcome === 'marked_for_resolution' && row) {
        const status = await tx.markDueForResolution(row.id);
        if (status === null) outcome = 'already_due';
        else marked = true;
      }
      await tx.enqueue(this.messages(command, row, outcome, plan.detail));
      return { kind: 'handled', outcome, ledgerId: row?.id ?? null };
    });
    const label =
      handling.kind !== 'handled'
        ? handling.kind
        : handling.appliedOnEvidence
          ? 'applied_on_evidence'
          : handling.outcome;
    metrics.commands.labels({ command: command.command, outcome: label }).inc();
    if (marked) this.options.onMarked?.();
    return handling;
  }

  /**
   * Asks the destination about a FAILED_PERMANENT row before the transaction (no database lock is held across a
   * network call). Null when there is nothing to ask: no lookup here, a FLAG, a command seen before, another status.
   */
  private async askDestination(command: WritebackCommand): Promise<DestinationEvidence | null> {
    const { lookup, ledger } = this.options;
    if (!lookup || command.command === 'FLAG') return null;
    if (await ledger.findCommand(command.commandId)) return null;
    const row = await ledger.findByKey(command.destination, command.idempotencyKey);
    if (row?.status !== 'FAILED_PERMANENT') return null;
    const startedAt = new Date(this.now());
    let answer: UnknownLookupResult;
    try {
      answer = await lookup(command.destination, {
        idempotencyKey: row.idempotencyKey,
        providerRef: row.providerRef,
        correlationId: row.correlationId,
        operation: row.operation,
        signal: AbortSignal.timeout(this.options.lookupTimeoutMs ?? 10_000),
      });
    } catch (error) {
      answer = { kind: 'inconclusive', reason: error instanceof Error ? error.message : String(error) };
    }
    return { lookup: answer, startedAt, finishedAt: new Date(this.now()) };
  }

  /**
   * FAILED_PERMANENT → APPLIED, guarded in SQL (`status = 'FAILED_PERMANENT'`, no lease), with the lookup as the
   * row's attempt and the APPLIED result and its audit event in the same transaction as the command row.
   */
  private async applyOnEvidence(
    tx: LedgerRepository,
    command: WritebackCommand,
    row: LedgerRow,
    evidence: DestinationEvidence & { lookup: { kind: 'found' } },
    detail: string,
  ): Promise<string> {
    const providerRef = evidence.lookup.providerRef;
    assertTransition('FAILED_PERMANENT', 'APPLIED', { destinationConfirmedPosting: true });
    const now = this.now();
    await tx.transition(row.id, {
      from: ['FAILED_PERMANENT'],
      to: 'APPLIED',
      owner: null,
      providerRef,
      errorClass: null,
      errorMessage: null,
      attempt: {
        kind: 'resolve',
        startedAt: evidence.startedAt,
        finishedAt: evidence.finishedAt,
        providerCode: 'found',
        providerRef,
      },
      outbox: (updated) => [
        resultMessage(updated.request, {
          status: 'APPLIED',
          providerRef: updated.providerRef,
          attempts: updated.attempts,
          now,
        }),
        commandAuditMessage(this.options.service, command, {
          action: 'writeback.applied_on_evidence',
          outcome: 'SUCCESS',
          reason: `${command.command} from ${command.issuedBy} (${command.reason}): ${detail}`,
          references: {
            ledgerId: row.id,
            providerRef,
            previousStatus: row.status,
            previousErrorClass: row.lastErrorClass,
            outcome: 'applied_on_evidence',
          },
          request: updated.request,
          now,
        }),
      ],
    });
    return providerRef;
  }

  private plan(
    command: WritebackCommand,
    row: LedgerRow | null,
    evidence: DestinationEvidence | null,
  ): {
    outcome: CommandOutcomeKind;
    detail: string;
    applyOnEvidence?: DestinationEvidence & { lookup: { kind: 'found' } };
  } {
    if (!row) {
      return {
        outcome: 'not_found',
        detail: `no ledger row for (${command.destination}, ${command.idempotencyKey}): this service never admitted the request`,
      };
    }
    switch (command.command) {
      case 'FLAG':
        return { outcome: 'flagged', detail: `flagged for a human: ${command.reason}` };
      case 'RESOLVE':
      case 'REPLAY':
        if (row.status === 'FAILED_PERMANENT') return this.planFailed(command, evidence);
        if (isTerminal(row.status)) {
          return {
            outcome: 'result_republished',
            detail: `row is settled (${row.status}): its result is published again, nothing is sent`,
          };
        }
        if (row.leaseOwner !== null) {
          return {
            outcome: 'already_due',
            detail: `row is being worked (${row.status}, lease ${row.leaseOwner}): an expired lease comes back as RESOLVE`,
          };
        }
        return {
          outcome: 'marked_for_resolution',
          detail:
            command.command === 'REPLAY'
              ? 'due for resolution by lookup now; re-sent under the same key only if the destination holds nothing'
              : 'due for resolution by lookup now',
        };
      default:
        return assertUnreachable(command.command);
    }
  }

  /** A failure is overturned only on the destination's own confirmation; nothing is ever sent again. */
  private planFailed(
    command: WritebackCommand,
    evidence: DestinationEvidence | null,
  ): ReturnType<WritebackCommandHandler['plan']> {
    const unchanged = 'its FAILED_PERMANENT result is published again, nothing is sent';
    if (!this.options.lookup) {
      return {
        outcome: 'result_republished',
        detail: `row is settled (FAILED_PERMANENT) and this service cannot ask ${command.destination} from a command: ${unchanged}`,
      };
    }
    if (evidence === null) {
      // The row was not FAILED_PERMANENT when the destination would have been asked: it changed in between.
      return {
        outcome: 'result_republished',
        detail: `row became FAILED_PERMANENT while the command was handled; ${command.destination} was not asked: ${unchanged}`,
      };
    }
    const { lookup } = evidence;
    switch (lookup.kind) {
      case 'found':
        return {
          outcome: 'result_republished',
          detail: `FAILED_PERMANENT → APPLIED: ${command.destination} confirmed posting ${lookup.providerRef} under the key; the APPLIED result is published`,
          applyOnEvidence: { ...evidence, lookup },
        };
      case 'not_found':
        return {
          outcome: 'result_republished',
          detail: `${command.destination} holds no posting under the key: ${unchanged}`,
        };
      case 'inconclusive':
        return {
          outcome: 'result_republished',
          detail: `${command.destination} could not be asked (${lookup.reason}): ${unchanged}`,
        };
      default:
        return assertUnreachable(lookup);
    }
  }

  private messages(
    command: WritebackCommand,
    row: LedgerRow | null,
    outcome: CommandOutcomeKind,
    detail: string,
  ): OutboxMessage[] {
    const now = this.now();
    const action = command.command === 'FLAG' ? 'writeback.flagged' : 'writeback.command_handled';
    const audit = commandAuditMessage(this.options.service, command, {
      action,
      outcome: outcome === 'not_found' ? 'DENIED' : 'PENDING',
      reason: `${command.command} from ${command.issuedBy} (${command.reason}): ${detail}`,
      references: { ledgerId: row?.id, providerRef: row?.providerRef, outcome },
      request: row?.request ?? null,
      now,
    });
    if (outcome !== 'result_republished' || !row) return [audit];
    return [
      resultMessage(row.request, {
        status: row.status,
        providerRef: row.providerRef,
        errorClass: row.lastErrorClass,
        errorMessage: row.lastErrorMessage,
        attempts: row.attempts,
        now,
      }),
      audit,
    ];
  }
}
