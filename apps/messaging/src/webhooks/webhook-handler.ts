/**
 * What a verified provider webhook changes. Status reports move the send ledger forward only (a duplicate or late
 * report moves nothing) with their outreach.event and audit event; a report that a send failed falls back to the next
 * channel the policy allows, or fails the send; an inbound WhatsApp message opens the customer's 24-hour window; an
 * opt-out reply revokes the purpose on every
 * channel for the customer the sending number belongs to, reports OPTED_OUT for their open outreaches and is
 * confirmed once on the channel it came in on. Contact points and message content reach no log, event or audit.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { insertOutboxMessages, type OutboxMessage } from '@closeout/outbox';
import type { Channel, ChannelProvider, WebhookEvent } from '@closeout/messaging-channels';
import { consentRecordFromReply, detectReplyIntent, type ReplyIntent } from '@closeout/messaging-domain';
import { continueKeptTrace, createLogger, type Span } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { customersByPhone } from '../contacts/contact-directory';
import { recordOptOut } from '../opt-outs/record-opt-out';
import {
  failReportedSend,
  latestPurposeOn,
  lockReportedSend,
  recordContactAttempt,
  reportSend,
  type SendRow,
} from '../sends/send-ledger';
import { linkOfSend } from '../links/link-store';
import { auditMessage, outreachEventMessage, sendAuditMessage } from '../sends/send-messages';
import { SendPolicy } from '../sends/send-policy';
import type { SendStatus } from '../sends/send-status';
import { SendWorker } from '../sends/send-worker';
import { recordWhatsAppInbound } from '../whatsapp/inbound-window';

export interface WebhookSettings {
  serviceName: string;
  /** The public base URL providers call (and sign); unset: the webhook routes answer 503. */
  publicBaseUrl: string | undefined;
  /** Largest webhook body read, in bytes. */
  maxBodyBytes: number;
  /** The one message confirming an opt-out, sent on the channel the opt-out came in on. */
  optOutConfirmation: string;
  providers: ReadonlyMap<Channel, ChannelProvider>;
  /** What the WhatsApp Cloud API's verification request must present (`hub.verify_token`); unset: refused. */
  whatsappVerifyToken: string | undefined;
}

export const WEBHOOK_SETTINGS = Symbol('messaging.webhook-settings');

const OUTBOX = 'outbox';

type Status = Extract<WebhookEvent, { kind: 'status' }>;
type Inbound = Extract<WebhookEvent, { kind: 'inbound' }>;

/** What a provider's delivery state moves a send to; undefined: nothing to record. */
function statusFor(state: Status['state']): SendStatus | undefined {
  switch (state) {
    case 'DELIVERED':
    case 'READ':
      return 'DELIVERED';
    case 'FAILED':
    case 'UNDELIVERED':
      return 'FAILED';
    case 'SENT':
      return 'SENT';
    case 'QUEUED':
      return undefined;
  }
}

/** What an opt-out is called in an event's reason: the keyword or the class of phrase, never the text. */
function optOutName(intent: Extract<ReplyIntent, { kind: 'opt-out' }>): string {
  return intent.via === 'keyword' ? intent.keyword : `a ${intent.phraseClass} phrase`;
}

/**
 * A provider's report of a send arrives in a request of its own: what it writes for the send (outreach.event, audit)
 * continues the send's trace, kept on the row, in an `outreach receipt` span linked to the webhook's request.
 */
const continueSendTrace = (row: SendRow): Span | undefined =>
  continueKeptTrace('outreach receipt', row.correlationId, row, {
    'closeout.case_id': row.caseId,
    'closeout.workflow_id': row.workflowId,
    'closeout.outreach_id': row.outreachId,
    'closeout.channel': row.channel,
  });

@Injectable()
export class WebhookHandler {
  private readonly log = createLogger('webhooks');
  private readonly now: () => number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(WEBHOOK_SETTINGS) readonly settings: WebhookSettings,
    private readonly policy: SendPolicy,
    private readonly worker: SendWorker,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.now = () => clock.now();
  }

  /** A webhook whose signature does not verify: audited, nothing else changes. */
  async refused(channel: Channel, provider: string, reason: string): Promise<void> {
    await this.db.transaction((tx) =>
      insertOutboxMessages(tx, OUTBOX, [
        auditMessage(this.settings.serviceName, {
          action: 'messaging.webhook.refused',
          outcome: 'DENIED',
          reason,
          correlationId: `webhook-${randomUUID()}`,
          references: { channel, provider },
        }),
      ]),
    );
  }

  /** Applies a verified webhook's events; the opt-out confirmations go out after the changes commit. */
  async apply(channel: Channel, provider: ChannelProvider, events: readonly WebhookEvent[]): Promise<void> {
    const confirmations: Inbound[] = [];
    for (const event of events) {
      if (event.kind === 'status') await this.applyStatus(channel, provider, event);
      else if (await this.applyInbound(channel, provider, event)) confirmations.push(event);
    }
    for (const reply of confirmations) void this.confirmOptOut(channel, provider, reply);
  }

  private async applyStatus(channel: Channel, provider: ChannelProvider, event: Status): Promise<void> {
    const to = statusFor(event.state);
    if (to === undefined) return;
    const reason = `${provider.name} reports ${event.state}${event.errorCode !== undefined ? ` (${event.errorCode})` : ''}`;
    if (to === 'FAILED') return this.applyFailure(channel, event, reason);
    let receipt: Span | undefined;
    await this.db.transaction(async (tx) => {
      const moved = await reportSend(
        tx,
        { channel, providerRef: event.providerRef, messageId: event.messageId },
        to,
        reason,
      );
      if (!moved) return;
      const { row, from } = moved;
      receipt = continueSendTrace(row);
      const providerRef = row.providerRef ?? event.providerRef;
      // A report that overtook the send's own answer: the attempt reached the provider.
      if (from === 'SENDING') await recordContactAttempt(tx, row, row.sendingSince ?? this.now());
      const status = to === 'DELIVERED' ? 'DELIVERED' : 'SENT';
      // The first event saying the message went out carries its mini-app link: a SENT, or a DELIVERED no SENT preceded.
      const link = status === 'SENT' || from !== 'SENT' ? await linkOfSend(tx, row) : null;
      await insertOutboxMessages(tx, OUTBOX, [
        outreachEventMessage(row, status, channel, { providerRef, link }, this.now()),
        sendAuditMessage(this.settings.serviceName, row, {
          action: to === 'DELIVERED' ? 'outreach.delivered' : 'outreach.sent',
          outcome: 'SUCCESS',
          reason,
          channel,
          providerRef,
        }),
      ]);
    });
    receipt?.end();
  }

  /**
   * A send the provider reports FAILED or UNDELIVERED: its channel has failed, and the policy decides again without
   * it (as after a permanent refusal) — another channel it would use → the row is RECEIVED on it, due now; none →
   * FAILED. An outreach.event FAILED says this channel failed either way, naming the fallback channel when there is
   * one. A report for a send that already fell back or failed finds nothing and moves nothing.
   */
  private async applyFailure(channel: Channel, event: Status, reason: string): Promise<void> {
    let receipt: Span | undefined;
    const fellBackTo = await this.db.transaction(async (tx) => {
      const row = await lockReportedSend(tx, {
        channel,
        providerRef: event.providerRef,
        messageId: event.messageId,
      });
      if (!row) return undefined;
      receipt = continueSendTrace(row);
      const now = this.now();
      const next = await this.policy.fallbackAfter(row, channel);
      const providerRef = row.providerRef ?? event.providerRef;
      const moved = await failReportedSend(
        tx,
        row,
        next !== undefined
          ? { to: 'RECEIVED', nextDueAt: now, reason, providerRef }
          : { to: 'FAILED', nextDueAt: null, reason, providerRef },
      );
      // A report that overtook the send's own answer: the attempt reached the provider.
      if (row.status === 'SENDING') await recordContactAttempt(tx, moved, row.sendingSince ?? now);
      await insertOutboxMessages(tx, OUTBOX, [
        outreachEventMessage(
          row,
          'FAILED',
          channel,
          { providerRef, reason, ...(next !== undefined ? { fallbackChannel: next } : {}) },
          now,
        ),
        sendAuditMessage(this.settings.serviceName, row, {
          action: next !== undefined ? 'outreach.channel-failed' : 'outreach.failed',
          outcome: 'FAILURE',
          reason: next !== undefined ? `${reason}; falling back to ${next}` : reason,
          channel,
          providerRef,
        }),
      ]);
      return next;
    });
    receipt?.end();
    if (fellBackTo !== undefined) this.worker.wake();
  }

  /** An inbound reply; true when it is a new opt-out to confirm. */
  private async applyInbound(channel: Channel, provider: ChannelProvider, reply: Inbound): Promise<boolean> {
    const intent = detectReplyIntent(reply.text);
    const correlationId = `reply-${reply.providerRef}`;
    const references = { channel, provider: provider.name, providerRef: reply.providerRef };
    return this.db.transaction(async (tx) => {
      const customers = await customersByPhone(tx, reply.from);
      // A customer's WhatsApp message opens their 24-hour window, whatever it says (never later than now).
      if (channel === 'WHATSAPP')
        for (const customerId of customers)
          await recordWhatsAppInbound(tx, {
            customerId,
            phone: reply.from,
            at: Math.min(reply.at, this.now()),
            providerRef: reply.providerRef,
          });
      if (intent.kind !== 'opt-out') {
        await insertOutboxMessages(tx, OUTBOX, [
          auditMessage(this.settings.serviceName, {
            action: 'messaging.reply.received',
            outcome: 'SUCCESS',
            reason:
              intent.kind === 'opt-in' ? `an opt-in keyword (${intent.keyword}): not acted on` : 'no opt-out',
            correlationId,
            references,
          }),
        ]);
        return false;
      }
      const messages: OutboxMessage[] = [];
      let revoked = false;
      for (const customerId of customers) {
        if (await this.revoke(tx, channel, reply, intent, customerId, messages)) revoked = true;
      }
      if (customers.length === 0)
        messages.push(
          auditMessage(this.settings.serviceName, {
            action: 'consent.revocation-unmatched',
            outcome: 'FAILURE',
            reason: `an opt-out (${optOutName(intent)}) from a number no contact statement gives`,
            correlationId,
            references,
          }),
        );
      await insertOutboxMessages(tx, OUTBOX, messages);
      return revoked;
    });
  }

  /** Revokes the purpose the reply answers for one customer; true when it was not revoked already. */
  private async revoke(
    tx: EntityManager,
    channel: Channel,
    reply: Inbound,
    intent: Extract<ReplyIntent, { kind: 'opt-out' }>,
    customerId: string,
    messages: OutboxMessage[],
  ): Promise<boolean> {
    // The purpose of the message the customer answers; none known: every purpose.
    const answered = await latestPurposeOn(tx, customerId, channel);
    const record = consentRecordFromReply(intent, { channel, purpose: answered ?? '*', at: reply.at });
    if (!record) return false;
    const recorded = await recordOptOut(
      tx,
      this.settings.serviceName,
      {
        customerId,
        purpose: record.purpose,
        channel,
        source: record.source,
        once: reply.providerRef,
        at: record.at,
        reason: `opted out by ${optOutName(intent)} on ${channel}`,
        correlationId: `reply-${reply.providerRef}`,
        references: { customerId, purpose: record.purpose, channel, providerRef: reply.providerRef },
        providerRef: reply.providerRef,
      },
      this.now(),
    );
    messages.push(...recorded);
    return recorded.length > 0;
  }

  /** The one confirmation of an opt-out, on its channel; a failure is logged (the opt-out holds regardless). */
  private async confirmOptOut(channel: Channel, provider: ChannelProvider, reply: Inbound): Promise<void> {
    try {
      const outcome = await provider.send({
        messageId: `opt-out-${reply.providerRef}`,
        channel,
        to: reply.from,
        text: this.settings.optOutConfirmation,
      });
      if (outcome.kind !== 'accepted')
        this.log.warn(
          { providerRef: reply.providerRef, outcome: outcome.kind },
          'opt-out confirmation not sent',
        );
    } catch (error) {
      this.log.warn({ err: error, providerRef: reply.providerRef }, 'opt-out confirmation not sent');
    }
  }
}
