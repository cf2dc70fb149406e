/**
 * The one-click unsubscribe of an email (RFC 8058): the presented token is hashed and its link found by the hash (the
 * `link` table's primary key; the token itself is stored nowhere, so a lookup's timing says nothing about it), and the
 * opt-out is recorded for the link's purpose on every channel exactly as a STOP reply's is (`recordOptOut`): source
 * `list-unsubscribe`, once per link, OPTED_OUT for the customer's open outreaches of the purpose and the audit events
 * through the outbox. An expired link still unsubscribes. A new opt-out is confirmed once by email, as a STOP reply
 * is confirmed once on its channel.
 *
 * The mini-app's opt-out (the internal API, `optOut(tokenSha256, 'mini-app')`) is the same path with source
 * `mini-app`, on the channel of the link's message, confirmed once on that channel (WhatsApp only within its 24-hour
 * window, where free-form text may be sent).
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Channel } from '@closeout/messaging-channels';
import { whatsappMessageMode } from '@closeout/messaging-domain';
import { insertOutboxMessages } from '@closeout/outbox';
import { createLogger } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { linkTokenSha256 } from '../links/mini-app-link';
import { recordOptOut } from '../opt-outs/record-opt-out';
import { WEBHOOK_SETTINGS, type WebhookSettings } from '../webhooks/webhook-handler';
import { lastWhatsAppInbound } from '../whatsapp/inbound-window';

const OUTBOX = 'outbox';

/** The subject of the one confirmation mail; its text is MESSAGING_OPT_OUT_CONFIRMATION. */
export const UNSUBSCRIBE_CONFIRMATION_SUBJECT = 'You have been unsubscribed';

/** Where a link's opt-out comes from: the email's one-click unsubscribe, or the mini-app (internal API). */
export type LinkOptOutSource = 'list-unsubscribe' | 'mini-app';

const OPT_OUT_REASONS: Record<LinkOptOutSource, string> = {
  'list-unsubscribe': 'opted out by the one-click unsubscribe link of an email',
  'mini-app': 'opted out in the mini-app',
};

interface LinkRow {
  send_id: string;
  channel: Channel;
  outreach_id: string;
  case_id: string;
  purpose: string;
  customer_id: string;
  correlation_id: string;
}

export type UnsubscribeOutcome =
  | { kind: 'unknown' }
  /** `fresh`: this link recorded a new opt-out (false: a repeat, or the purpose was already opted out of). */
  | { kind: 'unsubscribed'; fresh: boolean };

@Injectable()
export class UnsubscribeService {
  private readonly log = createLogger('unsubscribe');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Whether a token names a link of ours (expired or not). */
  async knows(token: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM link WHERE token_sha256 = $1', [
      linkTokenSha256(token),
    ]);
    return rows.length > 0;
  }

  /** Records the opt-out a link's one-click POST states; the confirmation mail goes out after the commit. */
  unsubscribe(token: string): Promise<UnsubscribeOutcome> {
    return this.optOut(linkTokenSha256(token), 'list-unsubscribe');
  }

  /**
   * Records the opt-out of the link's purpose on every channel, stated through `source` (once per link and source);
   * the one confirmation goes out after the commit: by email for the one-click unsubscribe, on the link's channel for
   * the mini-app.
   */
  async optOut(tokenSha256: string, source: LinkOptOutSource): Promise<UnsubscribeOutcome> {
    const done = await this.db.transaction(async (tx) => {
      const rows: LinkRow[] = await tx.query(
        `SELECT l.send_id, s.channel, l.outreach_id, l.case_id, l.purpose, s.customer_id, s.correlation_id
         FROM link l JOIN send s ON s.id = l.send_id WHERE l.token_sha256 = $1`,
        [tokenSha256],
      );
      const link = rows[0];
      if (!link) return undefined;
      const now = this.clock.now();
      const channel: Channel = source === 'list-unsubscribe' ? 'EMAIL' : link.channel;
      const messages = await recordOptOut(
        tx,
        this.settings.serviceName,
        {
          customerId: link.customer_id,
          purpose: link.purpose,
          channel,
          source,
          // Once per link: the same link again finds its revocation and changes nothing.
          once: `${source}:${tokenSha256}`,
          at: now,
          reason: OPT_OUT_REASONS[source],
          correlationId: link.correlation_id,
          references: {
            customerId: link.customer_id,
            purpose: link.purpose,
            channel,
            caseId: link.case_id,
            outreachId: link.outreach_id,
          },
        },
        now,
      );
      await insertOutboxMessages(tx, OUTBOX, messages);
      return { link, channel, fresh: messages.length > 0 };
    });
    if (!done) return { kind: 'unknown' };
    this.log.info({ outreachId: done.link.outreach_id, source, fresh: done.fresh }, 'opted out by link');
    if (done.fresh) void this.confirm(done.link, done.channel, source);
    return { kind: 'unsubscribed', fresh: done.fresh };
  }

  /**
   * The one confirmation, on `channel` to the customer's contact point there (WhatsApp only within its 24-hour
   * window); a failure is logged (the opt-out holds regardless).
   */
  private async confirm(link: LinkRow, channel: Channel, source: LinkOptOutSource): Promise<void> {
    const provider = this.settings.providers.get(channel);
    if (!provider) return;
    try {
      const rows: Array<{ email: string | null; phone: string | null }> = await this.db.query(
        'SELECT email, phone FROM contact WHERE customer_id = $1',
        [link.customer_id],
      );
      const to = channel === 'EMAIL' ? rows[0]?.email : rows[0]?.phone;
      if (!to) return;
      if (channel === 'WHATSAPP') {
        const lastInboundAt = await lastWhatsAppInbound(this.db.manager, link.customer_id, to);
        const now = this.clock.now();
        if (
          whatsappMessageMode({ now, ...(lastInboundAt !== undefined ? { lastInboundAt } : {}) }) !==
          'free-form'
        )
          return;
      }
      const outcome = await provider.send({
        messageId: `opt-out-${source === 'list-unsubscribe' ? 'link' : source}-${link.send_id}`,
        channel,
        to,
        ...(channel === 'EMAIL' ? { subject: UNSUBSCRIBE_CONFIRMATION_SUBJECT } : {}),
        text: this.settings.optOutConfirmation,
      });
      if (outcome.kind !== 'accepted')
        this.log.warn(
          { outreachId: link.outreach_id, outcome: outcome.kind },
          'unsubscribe confirmation not sent',
        );
    } catch (error) {
      // The error's class only: a transport's message may quote the recipient.
      this.log.warn(
        { outreachId: link.outreach_id, error: (error as Error)?.name ?? 'unknown' },
        'unsubscribe confirmation not sent',
      );
    }
  }
}
