/**
 * The one-click unsubscribe of an email (RFC 8058): the presented token is hashed and its link found by the hash (the
 * `link` table's primary key; the token itself is stored nowhere, so a lookup's timing says nothing about it), and the
 * opt-out is recorded for the link's purpose on every channel exactly as a STOP reply's is (`recordOptOut`): source
 * `list-unsubscribe`, once per link, OPTED_OUT for the customer's open outreaches of the purpose and the audit events
 * through the outbox. An expired link still unsubscribes. A new opt-out is confirmed once by email, as a STOP reply
 * is confirmed once on its channel.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { insertOutboxMessages } from '@closeout/outbox';
import { createLogger } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { linkTokenSha256 } from '../links/mini-app-link';
import { recordOptOut } from '../opt-outs/record-opt-out';
import { WEBHOOK_SETTINGS, type WebhookSettings } from '../webhooks/webhook-handler';

const OUTBOX = 'outbox';

/** The subject of the one confirmation mail; its text is MESSAGING_OPT_OUT_CONFIRMATION. */
export const UNSUBSCRIBE_CONFIRMATION_SUBJECT = 'You have been unsubscribed';

interface LinkRow {
  send_id: string;
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
  async unsubscribe(token: string): Promise<UnsubscribeOutcome> {
    const tokenSha256 = linkTokenSha256(token);
    const done = await this.db.transaction(async (tx) => {
      const rows: LinkRow[] = await tx.query(
        `SELECT l.send_id, l.outreach_id, l.case_id, l.purpose, s.customer_id, s.correlation_id
         FROM link l JOIN send s ON s.id = l.send_id WHERE l.token_sha256 = $1`,
        [tokenSha256],
      );
      const link = rows[0];
      if (!link) return undefined;
      const now = this.clock.now();
      const messages = await recordOptOut(
        tx,
        this.settings.serviceName,
        {
          customerId: link.customer_id,
          purpose: link.purpose,
          channel: 'EMAIL',
          source: 'list-unsubscribe',
          // Once per link: the same link again finds its revocation and changes nothing.
          once: `list-unsubscribe:${tokenSha256}`,
          at: now,
          reason: 'opted out by the one-click unsubscribe link of an email',
          correlationId: link.correlation_id,
          references: {
            customerId: link.customer_id,
            purpose: link.purpose,
            channel: 'EMAIL',
            caseId: link.case_id,
            outreachId: link.outreach_id,
          },
        },
        now,
      );
      await insertOutboxMessages(tx, OUTBOX, messages);
      return { link, fresh: messages.length > 0 };
    });
    if (!done) return { kind: 'unknown' };
    this.log.info({ outreachId: done.link.outreach_id, fresh: done.fresh }, 'unsubscribed by link');
    if (done.fresh) void this.confirm(done.link);
    return { kind: 'unsubscribed', fresh: done.fresh };
  }

  /** The one confirmation, by email to the customer's address; a failure is logged (the opt-out holds regardless). */
  private async confirm(link: LinkRow): Promise<void> {
    const provider = this.settings.providers.get('EMAIL');
    if (!provider) return;
    try {
      const rows: Array<{ email: string | null }> = await this.db.query(
        'SELECT email FROM contact WHERE customer_id = $1',
        [link.customer_id],
      );
      const to = rows[0]?.email;
      if (!to) return;
      const outcome = await provider.send({
        messageId: `opt-out-link-${link.send_id}`,
        channel: 'EMAIL',
        to,
        subject: UNSUBSCRIBE_CONFIRMATION_SUBJECT,
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
