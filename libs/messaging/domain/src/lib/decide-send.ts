/**
 * The one entry the messaging service calls before every send. It composes the policy in this order:
 *
 *   1. the inputs: the policy (window, caps, default zone), the channel order and the consent records are
 *      validated — a bad one throws a MessagingPolicyError naming the field (a configuration fault, not a decision);
 *   2. the channel: the preferred order is walked, each channel skipped when it failed permanently, has no or an
 *      invalid contact point, is opted out or has no consent for the purpose, or (WhatsApp) is outside the 24-hour
 *      window without an approved template; none left → `suppress`;
 *   3. the frequency cap for the customer and purpose → `suppress` with when the next attempt would be allowed;
 *   4. quiet hours in the recipient's zone(s) → `defer` until the first allowed minute (or `suppress` when the
 *      phone country's zones share none);
 *   5. `send` on the chosen channel, free-form or with the approved template.
 *
 * A `defer` is not a promise to send: the service decides again at `until` (consent, caps and the WhatsApp window
 * may have moved). Every decision explains itself with codes, channels and time-zone sources — never a contact
 * point or a message.
 */
import type { Channel } from './channels';
import { isPhoneChannel } from './channels';
import { validateChannelOrder } from './channels/next-channel';
import { type WhatsAppMessageMode, whatsappMessageMode } from './channels/whatsapp-window';
import {
  type ConsentRecord,
  type ConsentSource,
  checkConsent,
  validateConsentRecords,
} from './consent/consent';
import { checkEmail, checkPhoneNumber } from './contact-points/contact-point';
import { type FrequencyCap, checkFrequencyCap, validateFrequencyCaps } from './frequency/frequency-cap';
import { checkQuietHours } from './quiet-hours/quiet-hours';
import { type SendWindow, parseSendWindow } from './quiet-hours/send-window';
import { type TimeZoneSource, resolveTimeZones } from './quiet-hours/time-zone';

export type SuppressReason =
  | 'SUPPRESSED_OPTED_OUT'
  | 'SUPPRESSED_NO_CONSENT'
  | 'SUPPRESSED_FREQUENCY_CAP'
  | 'SUPPRESSED_INVALID_CONTACT_POINT'
  | 'SUPPRESSED_NO_CONTACT_POINT'
  | 'SUPPRESSED_TEMPLATE_REQUIRED'
  /** Every preferred channel failed permanently. */
  | 'SUPPRESSED_CHANNELS_EXHAUSTED'
  /** The phone country's time zones share no minute of the allowed window: the case needs its own time zone. */
  | 'SUPPRESSED_NO_SAFE_SEND_TIME';

export type DeferReason = 'QUIET_HOURS';

export type DecisionReason = SuppressReason | DeferReason;

/** Why a preferred channel was passed over. */
export type ChannelSkipReason =
  | 'FAILED_PERMANENTLY'
  | 'NO_CONTACT_POINT'
  | 'INVALID_CONTACT_POINT'
  | 'OPTED_OUT'
  | 'NO_CONSENT'
  | 'TEMPLATE_REQUIRED';

export interface ChannelSkip {
  channel: Channel;
  reason: ChannelSkipReason;
}

/** The recipient's time zone(s) as used, and where they came from. */
export interface TimeZoneExplanation {
  source: TimeZoneSource;
  /** ISO 3166-1 alpha-2, when the source is `phone-country`. */
  country?: string;
  zones: readonly string[];
}

/** What the message may be: any rendered text (SMS, e-mail, WhatsApp in its window) or an approved template. */
export type MessageContent = WhatsAppMessageMode;

export type SendDecision =
  | {
      kind: 'send';
      channel: Channel;
      content: MessageContent;
      consent: { source: ConsentSource; grantedAt: number };
      timeZone: TimeZoneExplanation;
      skipped: readonly ChannelSkip[];
    }
  | {
      kind: 'defer';
      reason: DeferReason;
      /** The first allowed minute (ms since epoch): decide again then. */
      until: number;
      channel: Channel;
      timeZone: TimeZoneExplanation;
      skipped: readonly ChannelSkip[];
    }
  | {
      kind: 'suppress';
      reason: SuppressReason;
      /** SUPPRESSED_FREQUENCY_CAP: when an attempt would be allowed again. */
      nextAllowedAt?: number;
      /** The channel that was chosen before a cap or quiet hours suppressed it. */
      channel?: Channel;
      timeZone?: TimeZoneExplanation;
      skipped: readonly ChannelSkip[];
    };

/** The deployment's and the workflow's policy. */
export interface MessagingPolicy {
  /** Local sending window, at most 08:00–21:00. */
  allowedWindow: SendWindow;
  frequencyCaps: readonly FrequencyCap[];
  /** IANA zone used when neither the case nor the phone number says. */
  defaultTimeZone: string;
}

export interface SendRequest {
  /** The instant of the decision (the send's due instant, or later), ms since epoch. */
  now: number;
  purpose: string;
  preferredChannels: readonly Channel[];
  failedPermanently?: readonly Channel[];
  /** The customer's contact points: E.164 phone (SMS, WhatsApp), e-mail address. */
  contactPoints: { phone?: string; email?: string };
  /** The case's `customer.timeZone`, if the trigger gave one. */
  caseTimeZone?: string;
  consents: readonly ConsentRecord[];
  /** Instants of the customer's prior attempts for this purpose, on any channel. */
  priorAttempts: readonly number[];
  whatsapp?: { lastInboundAt?: number; approvedTemplate: boolean };
}

/** When no channel is left, the reason reported is the first of these among the channels' skip reasons. */
const SKIP_PRIORITY: ReadonlyArray<readonly [ChannelSkipReason, SuppressReason]> = [
  ['OPTED_OUT', 'SUPPRESSED_OPTED_OUT'],
  ['NO_CONSENT', 'SUPPRESSED_NO_CONSENT'],
  ['INVALID_CONTACT_POINT', 'SUPPRESSED_INVALID_CONTACT_POINT'],
  ['NO_CONTACT_POINT', 'SUPPRESSED_NO_CONTACT_POINT'],
  ['TEMPLATE_REQUIRED', 'SUPPRESSED_TEMPLATE_REQUIRED'],
  ['FAILED_PERMANENTLY', 'SUPPRESSED_CHANNELS_EXHAUSTED'],
];

export function decideSend(policy: MessagingPolicy, request: SendRequest): SendDecision {
  // 1. Inputs.
  parseSendWindow(policy.allowedWindow);
  validateFrequencyCaps(policy.frequencyCaps);
  validateChannelOrder(request.preferredChannels);
  validateConsentRecords(request.consents);

  // 2. Channel.
  const skipped: ChannelSkip[] = [];
  let chosen:
    | { channel: Channel; content: MessageContent; consent: { source: ConsentSource; grantedAt: number } }
    | undefined;
  for (const channel of request.preferredChannels) {
    const verdict = evaluateChannel(channel, request);
    if ('reason' in verdict) skipped.push({ channel, reason: verdict.reason });
    else {
      chosen = { channel, ...verdict };
      break;
    }
  }
  if (!chosen) {
    const reason =
      SKIP_PRIORITY.find(([skip]) => skipped.some((s) => s.reason === skip))?.[1] ??
      'SUPPRESSED_CHANNELS_EXHAUSTED';
    return { kind: 'suppress', reason, skipped };
  }

  // 3. Frequency cap.
  const frequency = checkFrequencyCap({
    now: request.now,
    purpose: request.purpose,
    caps: policy.frequencyCaps,
    priorAttempts: request.priorAttempts,
  });
  if (frequency.kind === 'suppressed')
    return {
      kind: 'suppress',
      reason: frequency.reason,
      nextAllowedAt: frequency.nextAllowedAt,
      channel: chosen.channel,
      skipped,
    };

  // 4. Quiet hours.
  const phone = request.contactPoints.phone;
  const resolved = resolveTimeZones({
    ...(request.caseTimeZone !== undefined ? { caseTimeZone: request.caseTimeZone } : {}),
    ...(phone !== undefined ? { phoneNumber: phone } : {}),
    defaultTimeZone: policy.defaultTimeZone,
  });
  const timeZone: TimeZoneExplanation = {
    source: resolved.source,
    ...(resolved.source === 'phone-country' ? { country: resolved.country } : {}),
    zones: resolved.zones,
  };
  const quiet = checkQuietHours({ at: request.now, zones: resolved.zones, window: policy.allowedWindow });
  switch (quiet.kind) {
    case 'no-common-window':
      return {
        kind: 'suppress',
        reason: 'SUPPRESSED_NO_SAFE_SEND_TIME',
        channel: chosen.channel,
        timeZone,
        skipped,
      };
    case 'defer':
      return {
        kind: 'defer',
        reason: quiet.reason,
        until: quiet.until,
        channel: chosen.channel,
        timeZone,
        skipped,
      };
    case 'send-now':
      // 5. Send.
      return {
        kind: 'send',
        channel: chosen.channel,
        content: chosen.content,
        consent: chosen.consent,
        timeZone,
        skipped,
      };
  }
}

function evaluateChannel(
  channel: Channel,
  request: SendRequest,
):
  | { reason: ChannelSkipReason }
  | { content: MessageContent; consent: { source: ConsentSource; grantedAt: number } } {
  if (request.failedPermanently?.includes(channel)) return { reason: 'FAILED_PERMANENTLY' };
  const contactPoint = isPhoneChannel(channel) ? request.contactPoints.phone : request.contactPoints.email;
  if (contactPoint === undefined || contactPoint === '') return { reason: 'NO_CONTACT_POINT' };
  const valid = isPhoneChannel(channel)
    ? checkPhoneNumber(contactPoint).valid
    : checkEmail(contactPoint).valid;
  if (!valid) return { reason: 'INVALID_CONTACT_POINT' };
  const consent = checkConsent({
    now: request.now,
    channel,
    purpose: request.purpose,
    records: request.consents,
  });
  if (consent.kind === 'suppressed')
    return { reason: consent.reason === 'SUPPRESSED_OPTED_OUT' ? 'OPTED_OUT' : 'NO_CONSENT' };
  let content: MessageContent = 'free-form';
  if (channel === 'WHATSAPP') {
    content = whatsappMessageMode({
      now: request.now,
      ...(request.whatsapp?.lastInboundAt !== undefined
        ? { lastInboundAt: request.whatsapp.lastInboundAt }
        : {}),
    });
    if (content === 'approved-template' && !request.whatsapp?.approvedTemplate)
      return { reason: 'TEMPLATE_REQUIRED' };
  }
  return { content, consent: { source: consent.source, grantedAt: consent.grantedAt } };
}

/** One line for a log or an audit reason: codes, channels and the time-zone source only. */
export function explainDecision(decision: SendDecision): string {
  const parts: string[] = [];
  switch (decision.kind) {
    case 'send':
      parts.push(
        `send on ${decision.channel} (${decision.content}, consent from ${decision.consent.source})`,
      );
      break;
    case 'defer':
      parts.push(
        `defer ${decision.channel} until ${new Date(decision.until).toISOString()} (${decision.reason})`,
      );
      break;
    case 'suppress':
      parts.push(`suppress (${decision.reason})`);
      if (decision.nextAllowedAt !== undefined)
        parts.push(`next allowed ${new Date(decision.nextAllowedAt).toISOString()}`);
      break;
  }
  if (decision.timeZone) {
    const tz = decision.timeZone;
    parts.push(
      tz.source === 'phone-country'
        ? `time zone from phone country ${tz.country ?? '?'} (${tz.zones.length} zone${tz.zones.length === 1 ? '' : 's'})`
        : `time zone from ${tz.source} (${tz.zones[0] ?? '?'})`,
    );
  }
  if (decision.skipped.length > 0)
    parts.push(`skipped ${decision.skipped.map((s) => `${s.channel}: ${s.reason}`).join(', ')}`);
  return parts.join('; ');
}
