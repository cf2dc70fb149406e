/**
 * Sends the one-time code the mini-app generated for a link's customer, at once, on the channel of the link's message
 * and to the same contact point. Customer-initiated: no quiet hours, no frequency cap, not a contact attempt. Refused
 * when the link's purpose is opted out of, and beyond `CODES_PER_LINK_PER_HOUR` per link (counted in `link_message`,
 * one request per link at a time: the link row is locked while it counts). WhatsApp outside the 24-hour window sends
 * the approved `one-time-code` template if one is configured, else falls back to SMS (the answer says so).
 *
 * The code is in the message only: it is never stored, logged, audited or published. The send is recorded in
 * `link_message` (kind `one-time-code`, without the code) and audited through the outbox.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Channel, ChannelProvider, OutboundMessage, SendOutcome } from '@closeout/messaging-channels';
import { ALL_PURPOSES, whatsappMessageMode } from '@closeout/messaging-domain';
import { insertOutboxMessages } from '@closeout/outbox';
import { createLogger } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { loadContacts, type StoredContact } from '../contacts/contact-directory';
import { findLinkedSend, type LinkedSend } from '../links/link-store';
import { auditMessage } from '../sends/send-messages';
import { SEND_WORKER_SETTINGS, type SendWorkerSettings } from '../sends/send-worker.settings';
import { ONE_TIME_CODE_TEMPLATE_ID, type MessageTemplate } from '../templates/template-catalog';
import { approvedTemplateFor, type ApprovedTemplate } from '../whatsapp/approved-templates';
import { lastWhatsAppInbound } from '../whatsapp/inbound-window';
import { InternalApiError, linkNotFound } from './internal-api.errors';
import { maskContactPoint } from './mask-contact-point';

/** The rate limit of the interface: codes sent per link in any hour. */
export const CODES_PER_LINK_PER_HOUR = 5;
const HOUR_MS = 3_600_000;
/** How long a code is valid, as the message says (the mini-app holds the code and enforces it). */
export const CODE_VALID_MINUTES = 10;

export interface OneTimeCodeSettings {
  /** How long the provider's send may take before the answer is 503 (`MESSAGING_CODE_SEND_TIMEOUT_MS`). */
  sendTimeoutMs: number;
}
export const ONE_TIME_CODE_SETTINGS = Symbol('messaging.one-time-code-settings');

export interface CodeSent {
  channel: Channel;
  /** The contact point, masked. */
  sentTo: string;
  /** Set when the code went out on another channel than the link's message (WhatsApp outside its window → SMS). */
  fallbackFrom?: Channel;
  fallbackReason?: string;
}

/** How a code goes out: the channel, the contact point, the template and, on WhatsApp outside its window, the approved one. */
interface Route {
  channel: Channel;
  provider: ChannelProvider;
  to: string;
  template: MessageTemplate;
  approved?: ApprovedTemplate;
  fallbackFrom?: Channel;
  fallbackReason?: string;
}

@Injectable()
export class OneTimeCodeService {
  private readonly log = createLogger('one-time-code');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SEND_WORKER_SETTINGS) private readonly settings: SendWorkerSettings,
    @Inject(ONE_TIME_CODE_SETTINGS) private readonly codeSettings: OneTimeCodeSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Sends `code` for the link whose token hashes to `tokenSha256`; `requestedBy` is the caller's principal. */
  async send(tokenSha256: string, code: string, requestedBy: string): Promise<CodeSent> {
    // Reserved in one transaction holding the link's row: the count and the new row cannot race another request.
    const reserved = await this.db.transaction(async (tx) => {
      const link = await findLinkedSend(tx, tokenSha256, { lock: true });
      if (!link) throw linkNotFound();
      const now = this.clock.now();
      const loaded = (await loadContacts(tx, [link.customerId]))[0];
      if (loaded?.revocations.some((r) => r.purpose === link.purpose || r.purpose === ALL_PURPOSES))
        throw new InternalApiError('PURPOSE_OPTED_OUT', 'the customer has opted out of this purpose');
      const recent: Array<{ requested_at: Date }> = await tx.query(
        `SELECT requested_at FROM link_message
         WHERE token_sha256 = $1 AND kind = 'one-time-code' AND requested_at > $2 ORDER BY requested_at`,
        [tokenSha256, new Date(now - HOUR_MS)],
      );
      if (recent.length >= CODES_PER_LINK_PER_HOUR) {
        const oldest = recent[0]!.requested_at.getTime();
        throw new InternalApiError(
          'CODE_RATE_LIMITED',
          `at most ${CODES_PER_LINK_PER_HOUR} codes per link in an hour`,
          { retryAfterSeconds: Math.max(1, Math.ceil((oldest + HOUR_MS - now) / 1000)) },
        );
      }
      const route = await this.routeOf(tx, link, loaded?.contact, now);
      const rows: Array<{ id: string }> = await tx.query(
        `INSERT INTO link_message (token_sha256, kind, channel, status, provider, requested_at)
         VALUES ($1, 'one-time-code', $2, 'SENDING', $3, $4) RETURNING id`,
        [tokenSha256, route.channel, route.provider.name, new Date(now)],
      );
      return { link, route, messageRow: String(rows[0]!.id) };
    });
    const { link, route, messageRow } = reserved;
    const outcome = await this.sendWithTimeout(route, code, `otp-${messageRow}`);
    const sent = outcome.kind === 'accepted';
    const reason = sent
      ? `one-time code sent on ${route.channel} by ${route.provider.name}${route.fallbackReason ? ` (${route.fallbackReason})` : ''}`
      : `one-time code not sent on ${route.channel}: ${outcome.reason}`;
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE link_message SET status = $2, provider_ref = $3, reason = $4, updated_at = now() WHERE id = $1`,
        [messageRow, sent ? 'SENT' : 'FAILED', sent ? outcome.providerRef : null, reason],
      );
      await insertOutboxMessages(tx, 'outbox', [
        auditMessage(this.settings.serviceName, {
          action: sent ? 'one-time-code.sent' : 'one-time-code.failed',
          outcome: sent ? 'SUCCESS' : 'FAILURE',
          reason,
          correlationId: link.correlationId,
          causationId: link.requestEventId,
          caseId: link.caseId,
          versions: { templateId: ONE_TIME_CODE_TEMPLATE_ID, template: route.template.file },
          references: {
            outreachId: link.outreachId,
            purpose: link.purpose,
            channel: route.channel,
            linkMessageId: messageRow,
            requestedBy,
            ...(sent ? { providerRef: outcome.providerRef } : {}),
          },
        }),
      ]);
    });
    this.log.info(
      {
        outreachId: link.outreachId,
        linkMessageId: messageRow,
        channel: route.channel,
        outcome: outcome.kind,
      },
      sent ? 'one-time code sent' : 'one-time code not sent',
    );
    if (!sent)
      throw new InternalApiError(
        'CODE_NOT_SENT',
        `the ${route.channel} provider did not take the code; ask again`,
        {
          retryAfterSeconds: 5,
        },
      );
    return {
      channel: route.channel,
      sentTo: maskContactPoint(route.to),
      ...(route.fallbackFrom
        ? { fallbackFrom: route.fallbackFrom, fallbackReason: route.fallbackReason }
        : {}),
    };
  }

  /** The channel, contact point and template a code for this link goes out with, or CODE_NOT_SENT when there is none. */
  private async routeOf(
    tx: EntityManager,
    link: LinkedSend,
    contact: StoredContact | undefined,
    now: number,
  ): Promise<Route> {
    const locale = link.locale ?? contact?.locale;
    const on = (channel: Channel, extra: Partial<Route> = {}): Route | undefined => {
      const provider = this.settings.providers.get(channel);
      const to = channel === 'EMAIL' ? contact?.email : contact?.phone;
      const template = this.settings.templates.find(
        ONE_TIME_CODE_TEMPLATE_ID,
        channel,
        locale ?? undefined,
        this.settings.defaultLocale,
      );
      return provider && to && template ? { channel, provider, to, template, ...extra } : undefined;
    };
    let route: Route | undefined;
    if (link.channel !== 'WHATSAPP') route = on(link.channel);
    else if (contact?.phone !== undefined) {
      const lastInboundAt = await lastWhatsAppInbound(tx, link.customerId, contact.phone);
      const mode = whatsappMessageMode({ now, ...(lastInboundAt !== undefined ? { lastInboundAt } : {}) });
      const approved =
        mode === 'approved-template'
          ? approvedTemplateFor(
              this.settings.whatsappTemplates,
              ONE_TIME_CODE_TEMPLATE_ID,
              locale ?? undefined,
              this.settings.defaultLocale,
            )
          : undefined;
      route =
        mode === 'free-form'
          ? on('WHATSAPP')
          : approved
            ? on('WHATSAPP', { approved })
            : on('SMS', {
                fallbackFrom: 'WHATSAPP',
                fallbackReason:
                  'outside the WhatsApp 24-hour window with no approved one-time-code template: sent by SMS',
              });
    }
    if (!route)
      throw new InternalApiError(
        'CODE_NOT_SENT',
        `no configured channel can carry a code to this customer (the link's message went by ${link.channel})`,
      );
    return route;
  }

  /** The provider's answer, or `unknown` once `sendTimeoutMs` has passed (the customer is waiting). */
  private async sendWithTimeout(route: Route, code: string, messageId: string): Promise<SendOutcome> {
    const rendered = this.settings.templates.renderCode(route.template, {
      code,
      validMinutes: CODE_VALID_MINUTES,
    });
    const message: OutboundMessage = {
      messageId,
      channel: route.channel,
      to: route.to,
      text: rendered.text,
      ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}),
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      ...(route.approved
        ? { template: { name: route.approved.name, language: route.approved.language, parameters: [code] } }
        : {}),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<SendOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ kind: 'unknown', reason: `no answer within ${this.codeSettings.sendTimeoutMs} ms` }),
        this.codeSettings.sendTimeoutMs,
      );
    });
    try {
      return await Promise.race([
        route.provider.send(message).catch((error: unknown): SendOutcome => ({
          kind: 'unknown',
          reason: `provider ${route.provider.name} threw ${(error as Error)?.name ?? 'an error'}`,
        })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
