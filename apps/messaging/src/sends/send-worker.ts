/**
 * The send worker: claims due rows of the send ledger (FOR UPDATE SKIP LOCKED, a lease) and, for each, either
 * decides and sends, or resolves an open outcome by asking the provider — never by sending blind. Every decision is
 * recorded with its outreach.event and audit event through the outbox, in the transaction that moves the row.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { OutreachStatus } from '@closeout/contracts';
import { insertOutboxMessages, type OutboxMessage } from '@closeout/outbox';
import type { Channel, ChannelProvider, OutboundMessage, SendOutcome } from '@closeout/messaging-channels';
import {
  decideSend,
  explainDecision,
  type FrequencyCap,
  type SendDecision,
  type SendWindow,
} from '@closeout/messaging-domain';
import { createLogger } from '@closeout/telemetry';
import {
  consentRecordsOf,
  loadContact,
  revocationRecordsOf,
  type StoredContact,
} from '../contacts/contact-directory';
import { insertLink, miniAppLinkUrl, mintLinkToken, unsubscribeUrl } from '../links/mini-app-link';
import type { MessageTemplate, TemplateCatalog } from '../templates/template-catalog';
import {
  claimDueSends,
  LostLeaseError,
  priorAttempts,
  recordContactAttempt,
  transitionSend,
  type SendChange,
  type SendRow,
} from './send-ledger';
import { outreachEventMessage, sendAuditMessage, type SendAudit } from './send-messages';
import { afterLookup, afterSend, TO_RESOLVE, type NextState, type OutcomePolicy } from './send-status';

export interface SendWorkerSettings {
  serviceName: string;
  miniAppBaseUrl: string;
  defaultTimeZone: string;
  defaultLocale: string;
  sendWindow: SendWindow;
  frequencyCaps: readonly FrequencyCap[];
  fallbackChannels: readonly Channel[];
  pollMs: number;
  batch: number;
  leaseMs: number;
  /** How long a request waits for its customer's contact statement before it is decided without one. */
  contactWaitMs: number;
  outcomes: OutcomePolicy;
  providers: ReadonlyMap<Channel, ChannelProvider>;
  templates: TemplateCatalog;
  now?: () => number;
}

export const SEND_WORKER_SETTINGS = Symbol('messaging.send-worker-settings');

const OUTBOX = 'outbox';
const CONTACT_POLL_MS = 1_000;
const DAY_MS = 86_400_000;

/** Ours, stable per (outreach id, attempt), in the characters every provider takes (RFC 5322 dot-atom text). */
export function messageIdOf(row: Pick<SendRow, 'outreachId' | 'attempt'>): string {
  return `${row.outreachId.replace(/[^A-Za-z0-9_-]/g, '-')}.${row.attempt}`;
}

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
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(locale, options);
  } catch {
    format = new Intl.DateTimeFormat('en', options);
  }
  return format.format(at);
}

type Decided =
  | {
      kind: 'send';
      decision: Extract<SendDecision, { kind: 'send' }>;
      template: MessageTemplate;
      contact: StoredContact;
    }
  | { kind: 'other'; decision: Exclude<SendDecision, { kind: 'send' }> }
  | { kind: 'contact-pending' };

@Injectable()
export class SendWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = createLogger('send-worker');
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SEND_WORKER_SETTINGS) private readonly settings: SendWorkerSettings,
  ) {
    this.now = settings.now ?? Date.now;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
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

  /** One pass: claims due rows and works them. Returns how many it claimed. */
  async tick(): Promise<number> {
    const rows = await this.db.transaction((tx) =>
      claimDueSends(tx, this.owner, this.settings.batch, this.settings.leaseMs),
    );
    await Promise.all(
      rows.map(async (row) => {
        try {
          if (TO_RESOLVE.includes(row.status)) await this.resolve(row);
          else await this.decideAndSend(row);
        } catch (error) {
          // The lease runs out and the row comes back: a SENDING row as a lookup, never as a blind resend.
          const lost = error instanceof LostLeaseError;
          this.log[lost ? 'warn' : 'error'](
            { err: error, sendId: row.id, outreachId: row.outreachId, status: row.status },
            lost ? 'send moved on under another worker' : 'send not worked; retried when its lease runs out',
          );
        }
      }),
    );
    if (rows.length === this.settings.batch) this.again = true;
    return rows.length;
  }

  private preferredChannels(row: SendRow): Channel[] {
    return [...new Set([row.requestedChannel, ...this.settings.fallbackChannels])];
  }

  /** The policy's decision for the row, with the channels that cannot carry it set aside; a send has its template. */
  private async decide(row: SendRow, failed: readonly Channel[]): Promise<Decided> {
    const now = this.now();
    const found = await loadContact(this.db.manager, row.customerId);
    if (!found && now - row.createdAt < this.settings.contactWaitMs) return { kind: 'contact-pending' };
    const contact = found?.contact ?? { customerId: row.customerId };
    const widest = Math.max(0, ...this.settings.frequencyCaps.map((c) => c.windowDays));
    const prior = await priorAttempts(this.db.manager, row, now - widest * DAY_MS);
    const preferred = this.preferredChannels(row);
    // A channel without a provider, or without a template for this message, cannot carry it.
    const unusable = new Set<Channel>([
      ...failed,
      ...preferred.filter((c) => !this.settings.providers.has(c)),
    ]);
    for (;;) {
      const decision = decideSend(
        {
          allowedWindow: this.settings.sendWindow,
          frequencyCaps: this.settings.frequencyCaps,
          defaultTimeZone: this.settings.defaultTimeZone,
        },
        {
          now,
          purpose: row.purpose,
          preferredChannels: preferred,
          failedPermanently: [...unusable],
          contactPoints: {
            ...(contact.phone !== undefined ? { phone: contact.phone } : {}),
            ...(contact.email !== undefined ? { email: contact.email } : {}),
          },
          ...(contact.timeZone !== undefined ? { caseTimeZone: contact.timeZone } : {}),
          consents: [
            ...consentRecordsOf(found?.consents ?? []),
            ...revocationRecordsOf(found?.revocations ?? []),
          ],
          priorAttempts: prior,
          // Approved WhatsApp templates are not configured yet: outside the 24-hour window WhatsApp is skipped.
          whatsapp: { approvedTemplate: false },
        },
      );
      if (decision.kind !== 'send') return { kind: 'other', decision };
      const template = this.settings.templates.find(
        row.templateId,
        decision.channel,
        contact.locale,
        this.settings.defaultLocale,
      );
      if (template) return { kind: 'send', decision, template, contact };
      this.log.warn(
        { sendId: row.id, templateId: row.templateId, channel: decision.channel },
        'no template for this channel: the channel is passed over',
      );
      unusable.add(decision.channel);
    }
  }

  private async decideAndSend(row: SendRow): Promise<void> {
    const decided = await this.decide(row, row.failedChannels);
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

    const { decision, template, contact } = decided;
    const channel = decision.channel;
    const provider = this.settings.providers.get(channel)!;
    const link = mintLinkToken();
    const zone = decision.timeZone.zones[0] ?? this.settings.defaultTimeZone;
    const unsubscribe =
      channel === 'EMAIL' ? unsubscribeUrl(this.settings.miniAppBaseUrl, link.token) : undefined;
    const rendered = this.settings.templates.render(template, {
      link: miniAppLinkUrl(this.settings.miniAppBaseUrl, link.token),
      deadline: formatDeadline(row.linkExpiresAt, contact.locale ?? this.settings.defaultLocale, zone),
      ...(unsubscribe !== undefined ? { unsubscribeUrl: unsubscribe } : {}),
    });
    const messageId = messageIdOf(row);
    // SENDING commits before the provider is called, with the link's hash: if this worker stops mid-send, the row
    // comes back when its lease runs out and is resolved by lookup.
    const sending = await this.db.transaction(async (tx) => {
      const moved = await transitionSend(tx, row.id, {
        to: 'SENDING',
        owner: this.owner,
        nextDueAt: now + this.settings.leaseMs,
        channel,
        provider: provider.name,
        messageId,
        sendingSince: now,
        countSend: true,
        keepLease: true,
      });
      await insertLink(tx, {
        tokenSha256: link.tokenSha256,
        caseId: row.caseId,
        outreachId: row.outreachId,
        sendId: row.id,
        purpose: row.purpose,
        expiresAt: new Date(row.linkExpiresAt),
      });
      return moved;
    });
    const message: OutboundMessage = {
      messageId,
      channel,
      to: channel === 'EMAIL' ? contact.email! : contact.phone!,
      text: rendered.text,
      ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}),
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      ...(unsubscribe !== undefined ? { unsubscribeUrl: unsubscribe } : {}),
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
    await this.record(sending, next, `${template.file}`);
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

  /** Records what a send or a lookup came to. */
  private async record(row: SendRow, next: NextState, templateFile?: string): Promise<void> {
    const reached = row.status === 'SENDING' && ['SENT', 'DELIVERED', 'UNKNOWN'].includes(next.status);
    const versions = templateFile ? { template: templateFile } : undefined;
    switch (next.status) {
      case 'SENT':
      case 'DELIVERED':
        await this.move(
          row,
          { to: next.status, nextDueAt: null, providerRef: next.providerRef, reason: next.reason ?? null },
          [
            this.outreachEvent(row, next.status, row.channel, { providerRef: next.providerRef }),
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
   * the row is decided again on it (an outreach.event FAILED says this channel failed); none → the row FAILS.
   */
  private async failChannel(row: SendRow, failed: Extract<NextState, { status: 'FAILED' }>): Promise<void> {
    const providerRef = failed.providerRef !== undefined ? { providerRef: failed.providerRef } : {};
    const fallback = failed.channelFailed
      ? await this.decide(row, [...row.failedChannels, row.channel])
      : undefined;
    const next =
      fallback?.kind === 'send' || (fallback?.kind === 'other' && fallback.decision.kind === 'defer')
        ? fallback.kind === 'send'
          ? fallback.decision.channel
          : (fallback.decision as { channel: Channel }).channel
        : undefined;
    const event = this.outreachEvent(row, 'FAILED', row.channel, { reason: failed.reason, ...providerRef });
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
            reason: `${failed.reason}; falling back to ${next}`,
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
          reason: failed.reason,
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
    await this.db.transaction(async (tx: EntityManager) => {
      const moved = await transitionSend(tx, row.id, { ...change, owner: this.owner });
      if (recordAttempt) await recordContactAttempt(tx, moved, moved.sendingSince ?? this.now());
      await insertOutboxMessages(tx, OUTBOX, messages);
    });
  }

  private outreachEvent(
    row: SendRow,
    status: OutreachStatus,
    channel: Channel,
    detail: { providerRef?: string; reason?: string },
  ): OutboxMessage {
    return outreachEventMessage(row, status, channel, detail, this.now());
  }

  private audit(row: SendRow, what: SendAudit): OutboxMessage {
    return sendAuditMessage(this.settings.serviceName, row, what);
  }
}
