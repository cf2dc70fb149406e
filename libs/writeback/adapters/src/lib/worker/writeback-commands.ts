import type { Protocol, WritebackCommand } from '@closeout/contracts';
import { assertUnreachable, isTerminal } from '@closeout/writeback-domain';
import type { LedgerRepository } from '../ledger/ledger.repository';
import type { CommandOutcomeKind, LedgerRow } from '../ledger/ledger.types';
import type { OutboxMessage } from '../outbox/outbox-message';
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
  now?: () => number;
}

export type CommandHandling =
  | { kind: 'skipped'; reason: string }
  /** This command id was acted on before: nothing happens again. */
  | { kind: 'duplicate' }
  | { kind: 'handled'; outcome: CommandOutcomeKind; ledgerId: string | null };

/**
 * `writeback.command.v1` from the reconciler (the second line of defence), acted on once per command id:
 *
 * - RESOLVE → the ledger row becomes due for resolution by lookup now (the worker's RESOLVE path: ask the
 *   destination first, never send blind);
 * - REPLAY → the same: the lookup runs first, and only when the destination says it holds nothing does the retry
 *   policy send again, under the same idempotency key. A settled row is never re-sent by command.
 * - RESOLVE/REPLAY on a settled row → its stored result is published again, so whoever missed it sees it;
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
    let marked = false;
    const handling = await this.options.ledger.transaction(async (tx): Promise<CommandHandling> => {
      const row = await tx.findByKey(command.destination, command.idempotencyKey);
      const plan = this.plan(command, row);
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
      let outcome = plan.outcome;
      if (outcome === 'marked_for_resolution' && row) {
        const status = await tx.markDueForResolution(row.id);
        if (status === null) outcome = 'already_due';
        else marked = true;
      }
      await tx.enqueue(this.messages(command, row, outcome, plan.detail));
      return { kind: 'handled', outcome, ledgerId: row?.id ?? null };
    });
    const label = handling.kind === 'handled' ? handling.outcome : handling.kind;
    metrics.commands.labels({ command: command.command, outcome: label }).inc();
    if (marked) this.options.onMarked?.();
    return handling;
  }

  private plan(
    command: WritebackCommand,
    row: LedgerRow | null,
  ): { outcome: CommandOutcomeKind; detail: string } {
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
