/**
 * The policy as the service applies it to a row of the send ledger: loads what `decideSend` reads (the contact, its
 * consents and opt-outs, the customer's prior attempts for the purpose, when they last wrote on WhatsApp), sets aside
 * the channels that cannot carry the message (no provider, no template), and decides at the clock's time. The worker
 * decides with it before each send, and both the worker and the webhooks ask it where a failed channel falls back to.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Channel } from '@closeout/messaging-channels';
import { decideSend, type SendDecision } from '@closeout/messaging-domain';
import { StatementBatcher } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import { CLOCK, type Clock } from '../clock/clock';
import { consentRecordsOf, revocationRecordsOf, type StoredContact } from '../contacts/contact-directory';
import type { MessageTemplate } from '../templates/template-catalog';
import { approvedTemplateFor, type ApprovedTemplate } from '../whatsapp/approved-templates';
import { loadPolicyInputs, type PolicyInputs, type PolicyInputsAsked } from './policy-inputs';
import type { SendRow } from './send-ledger';
import { SEND_WORKER_SETTINGS, type SendWorkerSettings } from './send-worker.settings';

const DAY_MS = 86_400_000;

export type Decided =
  | {
      kind: 'send';
      decision: Extract<SendDecision, { kind: 'send' }>;
      template: MessageTemplate;
      contact: StoredContact;
      /** WhatsApp outside the 24-hour window: the provider's approved template to send. */
      approved?: ApprovedTemplate;
    }
  | { kind: 'other'; decision: Exclude<SendDecision, { kind: 'send' }> }
  | { kind: 'contact-pending' };

@Injectable()
export class SendPolicy {
  private readonly log = createLogger('send-policy');

  /**
   * What the policy reads for the rows being decided at once — contact, consents and opt-outs, prior attempts for the
   * purpose (the frequency caps), the WhatsApp window — one statement for those that ask while another runs (the
   * read is the policy's first step, so a claimed batch reads together).
   */
  private readonly inputs = new StatementBatcher<PolicyInputsAsked, PolicyInputs>(
    (asked) => loadPolicyInputs(this.db.manager, asked),
    { maxBatch: 64, maxInFlight: 1 },
  );

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SEND_WORKER_SETTINGS) private readonly settings: SendWorkerSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The channels tried, in order: the requested one, then the configured fallbacks. */
  preferredChannels(row: SendRow): Channel[] {
    return [...new Set([row.requestedChannel, ...this.settings.fallbackChannels])];
  }

  /** Since when earlier attempts count at `now`: the widest frequency cap's window. */
  attemptsSince(now: number): number {
    return now - Math.max(0, ...this.settings.frequencyCaps.map((c) => c.windowDays)) * DAY_MS;
  }

  /**
   * The policy's decision for the row, with the channels that cannot carry it set aside; a send has its template.
   * `preloaded`: the inputs as the worker's claim read them a moment ago (otherwise they are read now).
   */
  async decide(row: SendRow, failed: readonly Channel[], preloaded?: PolicyInputs): Promise<Decided> {
    const now = this.clock.now();
    const preferred = this.preferredChannels(row);
    const read =
      preloaded ??
      (await this.inputs.submit({
        row,
        since: this.attemptsSince(now),
        whatsapp: preferred.includes('WHATSAPP'),
      }));
    const found = read.contact;
    if (!found && now - row.createdAt < this.settings.contactWaitMs) return { kind: 'contact-pending' };
    const contact = found?.contact ?? { customerId: row.customerId };
    const prior = read.priorAttempts;
    const locale = contact.locale;
    // Outside the 24-hour window WhatsApp needs a template approved at the provider for this message and locale.
    const approved = approvedTemplateFor(
      this.settings.whatsappTemplates,
      row.templateId,
      locale,
      this.settings.defaultLocale,
    );
    // When the customer last wrote from the contact's number on WhatsApp (read only where WhatsApp may carry it).
    const lastInboundAt = contact.phone !== undefined ? read.lastWhatsAppInboundAt : undefined;
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
          whatsapp: {
            ...(lastInboundAt !== undefined ? { lastInboundAt } : {}),
            approvedTemplate: approved !== undefined,
          },
        },
      );
      if (decision.kind !== 'send') return { kind: 'other', decision };
      const template = this.settings.templates.find(
        row.templateId,
        decision.channel,
        locale,
        this.settings.defaultLocale,
      );
      if (template)
        return {
          kind: 'send',
          decision,
          template,
          contact,
          ...(decision.channel === 'WHATSAPP' && decision.content === 'approved-template' && approved
            ? { approved }
            : {}),
        };
      this.log.warn(
        { sendId: row.id, templateId: row.templateId, channel: decision.channel },
        'no template for this channel: the channel is passed over',
      );
      unusable.add(decision.channel);
    }
  }

  /**
   * Where a message goes after its channel failed: the channel the policy would send on (or defer to) without it
   * and the channels that failed before, or undefined when none is left.
   */
  async fallbackAfter(row: SendRow, failedChannel: Channel): Promise<Channel | undefined> {
    const decided = await this.decide(row, [...row.failedChannels, failedChannel]);
    if (decided.kind === 'send') return decided.decision.channel;
    if (decided.kind === 'other' && decided.decision.kind === 'defer') return decided.decision.channel;
    return undefined;
  }
}
