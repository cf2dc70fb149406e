import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Topics, type Protocol, type WritebackCommand } from '@closeout/contracts';
import { buildAuditMessage, type AuditInput } from '@closeout/audit';
import type { EventPublisher } from '@closeout/kafka';
import { insertOutboxMessages } from '@closeout/outbox';
import {
  commandFor,
  detectBreaks,
  followUpFor,
  planAlerts,
  planBreaks,
  UNKNOWN_DESTINATION,
  type Extract,
} from '@closeout/reconciler-domain';
import { ReconcilerError } from '../reconciler.errors';
import { createLogger } from '@closeout/telemetry';
import type { Config } from '../config';
import type { CoreExtractAdapter } from '../extracts/core-extract.port';
import { ReconcilerRepository, type BreakRow } from '../persistence/reconciler.repository';
import type { SloService } from '../slo/slo.service';

export interface PassSummary {
  ran: boolean;
  /** Set when another replica holds the lock. */
  skippedReason?: string;
  opened: number;
  resolved: number;
  commandsSent: number;
  alertsRaised: number;
  alertsCleared: number;
  extractFailures: Array<{ destination: string; code: string; message: string }>;
}

const SERVICE = 'reconciler';

/**
 * One reconciliation pass under a PostgreSQL advisory lock (two replicas never both run it): build the view, read
 * the cores' extracts (each with its timeout; a failed one only means that core is not judged this time), open
 * and resolve breaks, send their commands, compute the SLO figures and move the alerts.
 */
export class ReconcilePassUseCase {
  private readonly log = createLogger('reconciler.pass');
  private readonly repository: ReconcilerRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Config,
    private readonly extracts: readonly CoreExtractAdapter[],
    private readonly publisher: EventPublisher,
    private readonly slo: SloService,
  ) {
    this.repository = new ReconcilerRepository(dataSource);
  }

  async run(now: number = Date.now()): Promise<PassSummary> {
    const lockRunner = this.dataSource.createQueryRunner();
    const lockKey = `closeout-reconciler-pass:${this.config.RECONCILER_DB_SCHEMA}`;
    await lockRunner.connect();
    try {
      const [{ locked }] = (await lockRunner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey])) as [
        { locked: boolean },
      ];
      if (!locked) return { ...empty(), ran: false, skippedReason: 'another replica is running the pass' };
      try {
        return await this.pass(now);
      } finally {
        await lockRunner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
      }
    } finally {
      await lockRunner.release();
    }
  }

  private async pass(now: number): Promise<PassSummary> {
    const c = this.config;
    const summary = empty();
    const lookback = Math.max(c.RECONCILER_EXTRACT_LOOKBACK, c.RECONCILER_RESULT_WINDOW * 2);
    const [expectations, completions] = await Promise.all([
      this.repository.expectations(now - lookback),
      this.repository.completions(now - c.RECONCILER_EXTRACT_LOOKBACK),
    ]);
    const window = { from: now - c.RECONCILER_EXTRACT_LOOKBACK, to: now };
    const extracts = new Map<string, Extract>();
    await Promise.all(
      this.extracts.map(async (adapter) => {
        try {
          const postings = await adapter.extract(window, c.RECONCILER_EXTRACT_TIMEOUT);
          extracts.set(adapter.destination, { destination: adapter.destination, protocol: adapter.protocol, ...window, postings });
        } catch (error) {
          const e = error as { code?: string; message?: string };
          summary.extractFailures.push({ destination: adapter.destination, code: e.code ?? 'EXTRACT_UNAVAILABLE', message: e.message ?? String(error) });
          this.log.warn({ destination: adapter.destination, err: error }, 'extract failed: this core is not judged this pass');
        }
      }),
    );
    const detection = detectBreaks({
      now,
      expectations,
      completions,
      extracts,
      rules: { resultWindowMs: c.RECONCILER_RESULT_WINDOW, unknownTtlMs: c.RECONCILER_UNKNOWN_TTL, graceMs: c.RECONCILER_GRACE },
    });
    // A scoped reconciler judges only its destinations (a case tied to none of them is not its to judge).
    const scope = c.RECONCILER_DESTINATIONS;
    if (scope) detection.breaks = detection.breaks.filter((b) => scope.has(b.destination));
    const open = await this.repository.openBreaks();
    const plan = planBreaks(open, detection);
    const protocolOf = new Map<string, Protocol>(this.extracts.map((a) => [a.destination, a.protocol]));

    // Each break opened or resolved commits with its audit event (through the outbox): no crash between the two.
    for (const detected of plan.toOpen) {
      const command = commandFor(detected.kind);
      const row = await this.recorded(
        (repository) =>
          repository.openBreak(detected, command, `cmd-${randomUUID()}`, detected.protocol ?? protocolOf.get(detected.destination) ?? null),
        (opened) => breakAudit(opened, 'reconciler.break_detected', 'FAILURE', String(detected.context['reason'] ?? detected.kind)),
      );
      if (row) summary.opened += 1;
    }
    for (const b of plan.toResolve) {
      const row = await this.recorded(
        (repository) => repository.resolveBreak(b.id),
        (resolved) => breakAudit(resolved, 'reconciler.break_resolved', 'SUCCESS', `${resolved.kind} no longer holds: the views agree again`),
      );
      if (row) summary.resolved += 1;
    }

    // Commands for open breaks not yet sent (a failed publish is retried next pass: nothing is lost), and one
    // follow-up for breaks that stayed open: a REPLAY of a lookup, or a FLAG of a false failure nobody settled.
    const followUpRules = { replayAfterMs: c.RECONCILER_REPLAY_AFTER, escalateAfterMs: c.RECONCILER_GRACE };
    for (const b of await this.repository.openBreaks()) {
      try {
        if (b.commandSentAt === null) {
          await this.publish(b, b.command, b.commandId);
          await this.repository.markCommandSent(b.id);
          summary.commandsSent += 1;
          continue;
        }
        const followUp = followUpFor(b.kind, b.detectedAt.getTime(), now, followUpRules, b.followUpSentAt !== null);
        if (followUp !== null) {
          const followUpId = `cmd-${randomUUID()}`;
          await this.publish(b, followUp, followUpId);
          await this.repository.markFollowUpSent(b.id, followUp, followUpId);
          summary.commandsSent += 1;
        }
      } catch (error) {
        // One break that cannot be addressed must not hold back every other break's command.
        if (!(error instanceof ReconcilerError)) throw error;
        this.log.error({ breakId: b.id, code: error.code, err: error }, 'break command not sent');
      }
    }

    const report = await this.slo.report(now);
    this.slo.publish(report);
    const openAlerts = await this.repository.alerts({ status: 'OPEN' });
    const alertPlan = planAlerts(new Set(openAlerts.map((a) => a.key)), await this.slo.alertConditions());
    for (const condition of alertPlan.raise) {
      const alert = await this.recorded(
        (repository) => repository.raiseAlert(condition),
        (raised) => ({
          actor: { type: 'SERVICE', id: SERVICE },
          action: 'reconciler.alert_raised',
          outcome: 'FAILURE',
          reason: String(condition.context['reason'] ?? condition.key),
          correlationId: `alert:${raised.key}`,
          references: { alertId: raised.id, alertKey: raised.key, kind: raised.kind },
        }),
      );
      if (!alert) continue;
      summary.alertsRaised += 1;
      this.log.warn({ key: alert.key, context: alert.context }, 'alert raised');
    }
    for (const key of alertPlan.clear) {
      const alert = await this.recorded(
        (repository) => repository.clearAlert(key),
        (cleared) => ({
          actor: { type: 'SERVICE', id: SERVICE },
          action: 'reconciler.alert_cleared',
          outcome: 'SUCCESS',
          reason: `${key}: the condition no longer holds`,
          correlationId: `alert:${cleared.key}`,
          references: { alertId: cleared.id, alertKey: cleared.key, kind: cleared.kind },
        }),
      );
      if (alert) summary.alertsCleared += 1;
    }
    this.log.info({ ...summary, extractFailures: summary.extractFailures.length }, 'reconciliation pass done');
    return summary;
  }

  private async publish(b: BreakRow, command: WritebackCommand['command'], commandId: string): Promise<void> {
    const correlationId = b.correlationId ?? `break:${b.id}`;
    // Topics are keyed by case; a posting no one requested has none, so its break stands in for one.
    const caseId = b.caseId ?? `break:${b.id}`;
    const reason = `${b.kind} (break ${b.id}): ${String(b.context['reason'] ?? '')}`;
    const value: WritebackCommand = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId,
      causationId: null,
      commandId,
      command,
      idempotencyKey: b.idempotencyKey ?? `unknown:${b.key}`,
      destination: b.destination,
      protocol: commandProtocol(b),
      caseId,
      breakId: b.id,
      reason,
      issuedBy: SERVICE,
    };
    await this.publisher.publish(Topics.writebackCommand, { caseId }, value, {
      correlationId,
      idempotencyKey: value.idempotencyKey,
    });
  }

  /**
   * A change of a break or alert and its audit event in one transaction, through the schema's outbox: the relay
   * publishes the event once the change commits, and never when it does not. `change` returns null when nothing
   * changed (already open, already resolved): nothing is audited then.
   */
  private async recorded<Row>(
    change: (repository: ReconcilerRepository) => Promise<Row | null>,
    audit: (row: Row) => AuditInput,
  ): Promise<Row | null> {
    return this.dataSource.transaction(async (tx: EntityManager) => {
      const row = await change(new ReconcilerRepository(tx));
      if (row !== null) await insertOutboxMessages(tx, 'outbox', [buildAuditMessage(this.config.SERVICE_NAME, audit(row))]);
      return row;
    });
  }

}

/** The audit event of a break opened or resolved: which break, of what kind, at which destination, and why. */
function breakAudit(row: BreakRow, action: string, outcome: 'SUCCESS' | 'FAILURE', reason: string): AuditInput {
  const references: Record<string, string> = { breakId: row.id, breakKey: row.key, kind: row.kind, destination: row.destination };
  if (row.idempotencyKey) references['idempotencyKey'] = row.idempotencyKey;
  return {
    actor: { type: 'SERVICE', id: SERVICE },
    action,
    outcome,
    reason,
    correlationId: row.correlationId ?? `break:${row.id}`,
    caseId: row.caseId,
    references,
  };
}

/**
 * The protocol a command is addressed with. Every break names its owner's protocol (from the request or result, or
 * from the extract that found the posting) except one: a COMPLETED case none of whose writebacks the reconciler ever
 * saw, opened on destination `unknown`. No writeback service serves `unknown`, so every one skips that FLAG and only
 * the orchestrator acts on it; the schema requires a protocol, and REST is sent there as a placeholder that routes
 * nothing (the break row keeps protocol NULL, which is the truth).
 */
function commandProtocol(b: BreakRow): Protocol {
  if (b.protocol !== null) return b.protocol;
  if (b.destination !== UNKNOWN_DESTINATION)
    throw new ReconcilerError('BREAK_WITHOUT_OWNER', `break ${b.id} on ${b.destination} names no protocol: a detection rule lost it`);
  return 'REST';
}

function empty(): PassSummary {
  return { ran: true, opened: 0, resolved: 0, commandsSent: 0, alertsRaised: 0, alertsCleared: 0, extractFailures: [] };
}
