/**
 * The send worker: claims due rows of the send ledger (FOR UPDATE SKIP LOCKED, a lease) and, for each, either
 * decides and sends, or resolves an open outcome by asking the provider — never by sending blind. Every decision is
 * recorded with its outreach.event and audit event through the outbox, in the transaction that moves the row.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { OutreachStatus } from '@closeout/contracts';
import { withDecisionTrace, type OutboxMessage } from '@closeout/outbox';
import type { Channel, OutboundMessage, SendOutcome } from '@closeout/messaging-channels';
import { explainDecision } from '@closeout/messaging-domain';
import { StatementBatcher } from '@closeout/platform';
import { createLogger, keptTraceHeaders, withSpan } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { linkOfSend, publishedLink, type PublishedLink } from '../links/link-store';
import { miniAppLinkUrl, mintLinkToken, unsubscribeUrl } from '../links/mini-app-link';
import {
  claimDueSends,
  LostLeaseError,
  moveSends,
  type SendChange,
  type SendMove,
  type SendRow,
} from './send-ledger';
import { outreachEventMessage, sendAuditMessage, type SendAudit } from './send-messages';
import type { PolicyInputs } from './policy-inputs';
import { SendPolicy } from './send-policy';
import { afterLookup, afterSend, TO_RESOLVE, type NextState } from './send-status';
import { SEND_WORKER_SETTINGS, type SendWorkerSettings } from './send-worker.settings';

export { SEND_WORKER_SETTINGS, type SendWorkerSettings } from './send-worker.settings';

const CONTACT_POLL_MS = 1_000;

/** Ours, stable per (outreach id, attempt), in the characters every provider takes (RFC 5322 dot-atom text). */
export function messageIdOf(row: Pick<SendRow, 'outreachId' | 'attempt'>): string {
  return `${row.outreachId.replace(/[^A-Za-z0-9_-]/g, '-')}.${row.attempt}`;
}

const deadlineFormats = new Map<string, Intl.DateTimeFormat>();
const MAX_DEADLINE_FORMATS = 1_000;

/** The link's expiry for the recipient: their locale and the zone the policy resolved. */
export function formatDeadline(at: number, locale: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  };
  const key = `${locale}|${timeZone}`;
  let format = deadlineFormats.get(key);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(locale, options);
    } catch {
      format = new Intl.DateTimeFormat('en', options);
    }
    // Building a format costs far more than using one; locales and zones are few, and the bound keeps them so.
    if (deadlineFormats.size < MAX_DEADLINE_FORMATS) deadlineFormats.set(key, format);
  }
  return format.format(at);
}

@Injectable()
export class SendWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = createLogger('send-worker');
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  /** Rows being worked: at most `batch`; a slot that frees is filled at once, not when the whole pass is done. */
  private readonly working = new Set<Promise<void>>();
  /**
   * The rows' moves, grouped into `moveSends` statements: while one runs, the moves other rows make meanwhile wait and
   * go out together in the next — one commit for many sends on a busy worker, no wait on an idle one.
   */
  private readonly moves = new StatementBatcher<SendMove, SendRow>(
    (items) => moveSends(this.db.manager, items),
    { keyOf: (m) => m.id, maxBatch: 64, maxInFlight: 1 },
  );

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SEND_WORKER_SETTINGS) private readonly settings: SendWorkerSettings,
    private readonly policy: SendPolicy,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.now = () => clock.now();
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.working);
  }

  /** Looks for due rows now (a request was just admitted) rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick()
        .then(() => undefined)
        .catch((error: unknown) => this.log.error({ err: error }, 'send worker pass failed'))
        .finally(() => {
          this.running = undefined;
          const more = this.again;
          this.again = false;
          this.schedule(more ? 0 : this.settings.pollMs);
        });
    }, delayMs);
  }

  /**
   * One pass: claims due rows for the free slots and starts working them, without waiting for them (rows that end
   * wake the worker to fill their slots). Returns how many it claimed.
   */
  async tick(): Promise<number> {
    const free = this.settings.batch - this.working.size;
    if (free <= 0) return 0;
    // One statement (its UPDATE takes the rows FOR UPDATE SKIP LOCKED): atomic without a transaction around it. It
    // reads the policy's inputs for the rows to decide as well: no read of its own before each decision.
    const now = this.now();
    const rows = await claimDueSends(this.db.manager, this.owner, free, this.settings.leaseMs, now, {
      since: this.policy.attemptsSince(now),
      whatsappFallback: this.settings.fallbackChannels.includes('WHATSAPP'),
    });
    for (const { row, inputs } of rows) {
      const working = this.work(row, inputs).finally(() => {
        this.working.delete(working);
        // Claims again once a quarter of the slots are free: one claim per few rows, not one per row.
        if (this.working.size <= (this.settings.batch * 3) / 4) this.wake();
      });
      this.working.add(working);
    }
    if (rows.length === free) this.again = true;
    return rows.length;
  }

  /**
   * One claimed send's work, in a span that continues the trace of the outreach.requested that admitted it (kept on
   * the row), so the decision, the provider call and the messages the move writes (outreach.event, audit) belong to
   * the case's trace however long after, and in whichever process, the send is worked.
   */
  private async work(row: SendRow, inputs?: PolicyInputs): Promise<void> {
    const carried = keptTraceHeaders(row);
    const resolving = TO_RESOLVE.includes(row.status);
    try {
      await withSpan(
        `outreach ${resolving ? 'resolve' : 'send'}`,
        'internal',
        carried,
        () => (resolving ? this.resolve(row) : this.decideAndSend(row, inputs)),
        {
          attributes: {
            'closeout.case_id': row.caseId,
            'closeout.workflow_id': row.workflowId,
            'closeout.outreach_id': row.outreachId,
            'closeout.channel': row.channel,
            'closeout.attempt': row.attempt,
          },
        },
      );
    } catch (error) {
      // The lease runs out and the row comes back: a SENDING row as a lookup, never as a blind resend.
      const lost = error instanceof LostLeaseError;
      this.log[lost ? 'warn' : 'error'](
        { err: error, sendId: row.id, outreachId: row.outreachId, status: row.status },
        lost ? 'send moved on under another worker' : 'send not worked; retried when its lease runs out',
      );
    }
  }

  private async decideAndSend(row: SendRow, inputs?: PolicyInputs): Promise<void> {
    const decided = await this.policy.decide(row, row.failedChannels, inputs);
    const now = this.now();
    if (decided.kind === 'contact-pending') {
      await this.move(
        row,
        { to: 'DEFERRED', nextDueAt: now + CONTACT_POLL_MS, reason: 'CONTACT_PENDING' },
        [],
      );
      return;
    }
    if (decided.kind === 'other') {
      const { decision } = decided;
      if (decision.kind === 'defer') {
        await this.move(
          row,
          { to: 'DEFERRED', nextDueAt: decision.until, reason: decision.reason, channel: decision.channel },
          [
            this.audit(row, {
              action: 'outreach.deferred',
              outcome: 'PENDING',
              reason: `${explainDecision(decision)}; decided again at ${new Date(decision.until).toISOString()}`,
              channel: decision.channel,
            }),
          ],
        );
        return;
      }
      const channel = decision.channel ?? row.channel;
      await this.move(row, { to: 'SUPPRESSED', nextDueAt: null, reason: decision.reason, channel }, [
        this.outreachEvent(row, 'SUPPRESSED', channel, { reason: decision.reason }),
        this.audit(row, {
          action: 'outreach.suppressed',
          outcome: 'DENIED',
          reason: explainDecision(decision),
          channel,
        }),
      ]);
      return;
    }

    const { decision, template, contact, approved } = decided;
    const channel = decision.channel;
    const provider = this.settings.providers.get(channel)!;
    const link = mintLinkToken();
    const zone = decision.timeZone.zones[0] ?? this.settings.defaultTimeZone;
    const unsubscribe =
      channel === 'EMAIL' ? unsubscribeUrl(this.settings.miniAppBaseUrl, link.token) : undefined;
    const values = {
      link: miniAppLinkUrl(this.settings.miniAppBaseUrl, link.token),
      deadline: formatDeadline(row.linkExpiresAt, contact.locale ?? this.settings.defaultLocale, zone),
    };
    const rendered = this.settings.templates.render(template, {
      ...values,
      ...(unsubscribe !== undefined ? { unsubscribeUrl: unsubscribe } : {}),
    });
    const messageId = messageIdOf(row);
    // SENDING commits before the provider is called, with the link's hash: if this worker stops mid-send, the row
    // comes back when its lease runs out and is resolved by lookup.
    const sending = await this.moves.submit({
      id: row.id,
      change: {
        to: 'SENDING',
        owner: this.owner,
        nextDueAt: now + this.settings.leaseMs,
        channel,
        provider: provider.name,
        messageId,
        sendingSince: now,
        countSend: true,
        keepLease: true,
      },
      writes: { outbox: [], linkSha256: link.tokenSha256, linkLocale: template.locale },
    });
    const message: OutboundMessage = {
      messageId,
      channel,
      to: channel === 'EMAIL' ? contact.email! : contact.phone!,
      text: rendered.text,
      ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}),
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      ...(unsubscribe !== undefined ? { unsubscribeUrl: unsubscribe } : {}),
      // WhatsApp outside the 24-hour window: the approved template, with the link and the deadline as its parameters.
      ...(approved !== undefined
        ? {
            template: {
              name: approved.name,
              language: approved.language,
              parameters: [values.link, values.deadline],
            },
          }
        : {}),
    };
    let outcome: SendOutcome;
    try {
      outcome = await provider.send(message);
    } catch (error) {
      // An adapter that throws may have sent: the outcome is open, and resolved by lookup.
      outcome = { kind: 'unknown', reason: `provider ${provider.name} threw ${(error as Error).name}` };
    }
    const next = afterSend(outcome, {
      now: this.now(),
      sendAttempts: sending.sendAttempts,
      policy: this.settings.outcomes,
    });
    await this.record(
      sending,
      next,
      approved !== undefined ? `${template.file} as approved template ${approved.name}` : template.file,
      publishedLink(row, { tokenSha256: link.tokenSha256, locale: template.locale }),
    );
  }

  private async resolve(row: SendRow): Promise<void> {
    const provider = this.settings.providers.get(row.channel);
    const result =
      provider && row.messageId !== null
        ? await provider.lookup({
            messageId: row.messageId,
            ...(row.providerRef ? { providerRef: row.providerRef } : {}),
          })
        : ({ kind: 'inconclusive', reason: `no ${row.channel} provider configured to ask` } as const);
    const next = afterLookup(result, {
      now: this.now(),
      sendingSince: row.sendingSince ?? row.createdAt,
      policy: this.settings.outcomes,
    });
    await this.record(row, next);
  }

  /**
   * Records what a send or a lookup came to. `sentLink`: the link of the message just sent (a lookup reads the send's
   * latest link instead).
   */
  private async record(
    row: SendRow,
    next: NextState,
    templateFile?: string,
    sentLink?: PublishedLink,
  ): Promise<void> {
    const reached = row.status === 'SENDING' && ['SENT', 'DELIVERED', 'UNKNOWN'].includes(next.status);
    const versions = templateFile ? { template: templateFile } : undefined;
    switch (next.status) {
      case 'SENT':
      case 'DELIVERED': {
        // The first event saying the message went out carries its link: a SENT, or a DELIVERED no SENT preceded.
        const first = next.status === 'SENT' || row.status === 'SENDING' || row.status === 'UNKNOWN';
        const link = first ? (sentLink ?? (await linkOfSend(this.db.manager, row))) : null;
        await this.move(
          row,
          { to: next.status, nextDueAt: null, providerRef: next.providerRef, reason: next.reason ?? null },
          [
            this.outreachEvent(row, next.status, row.channel, { providerRef: next.providerRef, link }),
            this.audit(row, {
              action: next.status === 'SENT' ? 'outreach.sent' : 'outreach.delivered',
              outcome: 'SUCCESS',
              reason: next.reason ?? `${row.channel} message accepted by ${row.provider ?? 'the provider'}`,
              channel: row.channel,
              providerRef: next.providerRef,
              versions,
            }),
          ],
          reached,
        );
        return;
      }
      case 'RETRY_WAIT':
        await this.move(row, { to: 'RETRY_WAIT', nextDueAt: next.nextDueAt, reason: next.reason }, [
          this.audit(row, {
            action: 'outreach.retry-scheduled',
            outcome: 'PENDING',
            reason: `${next.reason}; sent again at ${new Date(next.nextDueAt).toISOString()}`,
            channel: row.channel,
          }),
        ]);
        return;
      case 'UNKNOWN':
        await this.move(
          row,
          { to: 'UNKNOWN', nextDueAt: next.nextDueAt, reason: next.reason },
          [
            this.audit(row, {
              action: 'outreach.outcome-unknown',
              outcome: 'PENDING',
              reason: `${next.reason}; asked again at ${new Date(next.nextDueAt).toISOString()}, never sent blind`,
              channel: row.channel,
            }),
          ],
          reached,
        );
        return;
      case 'RECEIVED':
        await this.move(row, { to: 'RECEIVED', nextDueAt: next.nextDueAt, reason: next.reason }, [
          this.audit(row, {
            action: 'outreach.resend-allowed',
            outcome: 'PENDING',
            reason: next.reason,
            channel: row.channel,
          }),
        ]);
        return;
      case 'FAILED':
        await this.failChannel(row, next);
        return;
    }
  }

  /**
   * A channel that cannot carry the message: the policy decides again without it. Another channel it would use →
   * the row is decided again on it (an outreach.event FAILED for this channel names it as `fallbackChannel`); none →
   * the row FAILS (the FAILED carries no fallback: it is final).
   */
  private async failChannel(row: SendRow, failed: Extract<NextState, { status: 'FAILED' }>): Promise<void> {
    const providerRef = failed.providerRef !== undefined ? { providerRef: failed.providerRef } : {};
    const next = failed.channelFailed ? await this.policy.fallbackAfter(row, row.channel) : undefined;
    const detail = failed.detail ?? failed.reason;
    const event = this.outreachEvent(row, 'FAILED', row.channel, {
      reason: failed.reason,
      ...providerRef,
      ...(next !== undefined ? { fallbackChannel: next } : {}),
    });
    if (next !== undefined) {
      await this.move(
        row,
        {
          to: 'RECEIVED',
          nextDueAt: this.now(),
          reason: failed.reason,
          failedChannel: row.channel,
          ...providerRef,
        },
        [
          event,
          this.audit(row, {
            action: 'outreach.channel-failed',
            outcome: 'FAILURE',
            reason: `${detail}; falling back to ${next}`,
            channel: row.channel,
          }),
        ],
      );
      return;
    }
    await this.move(
      row,
      { to: 'FAILED', nextDueAt: null, reason: failed.reason, failedChannel: row.channel, ...providerRef },
      [
        event,
        this.audit(row, {
          action: 'outreach.failed',
          outcome: 'FAILURE',
          reason: detail,
          channel: row.channel,
        }),
      ],
    );
  }

  private async move(
    row: SendRow,
    change: Omit<SendChange, 'owner'>,
    messages: OutboxMessage[],
    recordAttempt = false,
  ): Promise<void> {
    await this.moves.submit({
      id: row.id,
      change: { ...change, owner: this.owner },
      writes: {
        // The statement runs batched with other sends' moves: each message keeps the trace of its own send's span.
        outbox: messages.map(withDecisionTrace),
        ...(recordAttempt ? { attemptAt: row.sendingSince ?? this.now() } : {}),
      },
    });
  }

  private outreachEvent(
    row: SendRow,
    status: OutreachStatus,
    channel: Channel,
    detail: { providerRef?: string; reason?: string; fallbackChannel?: Channel; link?: PublishedLink | null },
  ): OutboxMessage {
    return outreachEventMessage(row, status, channel, detail, this.now());
  }

  private audit(row: SendRow, what: SendAudit): OutboxMessage {
    return sendAuditMessage(this.settings.serviceName, row, what);
  }
}
