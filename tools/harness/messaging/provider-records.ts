/**
 * The messaging harness's proof, from the providers' own records — the SMS and WhatsApp simulators' journals and the
 * SMTP sink's stored mails — not from the service's ledger: each record names our message id (the SMS status
 * callback URL's `messageId`, WhatsApp's `biz_opaque_callback_data`, the e-mail's Message-ID), which is
 * `<outreachId>.<attempt>`; its recipient and time are the provider's.
 *
 *   - duplicates: one (outreach, attempt) taken twice by one channel's provider;
 *   - a second channel for an outreach only after the service reported the first one FAILED (a fallback);
 *   - quiet hours: every message's time inside the window in the recipient's zone;
 *   - opt-out: no message to a customer after their STOP was answered by the service (the confirmation aside);
 *   - every message goes to the contact point of the request's customer; none names a message id we did not ask for.
 */
import type { Channel } from '@closeout/messaging-domain';
import { insideWindow, localMinute, type Customer, type Request } from './population';

export interface ProviderMessage {
  channel: Channel;
  /** Our message id as the provider has it; undefined when the record names none. */
  messageId: string | undefined;
  /** E.164 for SMS and WhatsApp, the envelope recipient for e-mail. */
  to: string;
  /** When the provider took it, ms since the epoch. */
  at: number;
  /** The provider's own id (sid, wamid, sink id), for a report. */
  ref: string;
}

export interface OptOut {
  customerId: string;
  channel: Channel;
  /** When the service answered the STOP webhook (2xx), ms since the epoch. */
  answeredAt: number;
}

export interface ProviderCheckInput {
  messages: readonly ProviderMessage[];
  requests: readonly Request[];
  optOuts: readonly OptOut[];
  /** outreachId → the channels the service reported FAILED (outreach.event). */
  failedChannels: ReadonlyMap<string, ReadonlySet<Channel>>;
}

export interface ProviderCheck {
  /** Messages that carry one of the run's outreaches. */
  sends: number;
  sendsByChannel: Record<Channel, number>;
  /** Opt-out confirmations (`opt-out-<ref>` message ids). */
  confirmations: number;
  /** Messages for other runs' requests (their contacts and requests are on the same topics). */
  foreign: number;
  /** Outreaches taken by a second channel after the first failed. */
  fallbacks: number;
  duplicates: number;
  outsideWindow: number;
  afterOptOut: number;
  /** outreachId → the channels whose provider took it. */
  sentOn: Map<string, Set<Channel>>;
  violations: string[];
}

const CONFIRMATION = /^opt-out-/;

/** `<outreachId>.<attempt>` from the service's `messageIdOf`; the harness's outreach ids need no escaping. */
export function parseMessageId(messageId: string): { outreachId: string; attempt: number } | undefined {
  const m = /^(.+)\.(\d+)$/.exec(messageId);
  return m ? { outreachId: m[1]!, attempt: Number(m[2]) } : undefined;
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

export function checkProviderRecords(input: ProviderCheckInput): ProviderCheck {
  const violations: string[] = [];
  const byOutreach = new Map(input.requests.map((r) => [r.outreachId, r]));
  const customerByPoint = new Map<string, Customer>();
  for (const r of input.requests) {
    customerByPoint.set(r.customer.phone, r.customer);
    customerByPoint.set(r.customer.email.toLowerCase(), r.customer);
  }
  const firstStop = new Map<string, OptOut>();
  for (const o of input.optOuts) {
    const seen = firstStop.get(o.customerId);
    if (!seen || o.answeredAt < seen.answeredAt) firstStop.set(o.customerId, o);
  }
  const sendsByChannel: Record<Channel, number> = { EMAIL: 0, SMS: 0, WHATSAPP: 0 };
  const taken = new Map<string, ProviderMessage[]>();
  const sentOn = new Map<string, Set<Channel>>();
  let confirmations = 0;
  let foreign = 0;
  let outsideWindow = 0;
  let afterOptOut = 0;

  for (const message of [...input.messages].sort((a, b) => a.at - b.at)) {
    const recipient = customerByPoint.get(
      message.channel === 'EMAIL' ? message.to.toLowerCase() : message.to,
    );
    if (message.messageId !== undefined && CONFIRMATION.test(message.messageId)) {
      confirmations += 1;
      continue;
    }
    const id = message.messageId === undefined ? undefined : parseMessageId(message.messageId);
    const request = id ? byOutreach.get(id.outreachId) : undefined;
    // Another run's request, taken from the shared topic and mailed through the shared sink: not this run's to judge.
    if (id && !request && !recipient) {
      foreign += 1;
      continue;
    }
    if (!id || !request) {
      violations.push(
        `${message.channel} ${message.ref}: message id ${message.messageId ?? '(none)'} is no request of this run`,
      );
      continue;
    }
    sendsByChannel[message.channel] += 1;
    const key = `${message.channel} ${message.messageId}`;
    taken.set(key, [...(taken.get(key) ?? []), message]);
    sentOn.set(request.outreachId, (sentOn.get(request.outreachId) ?? new Set()).add(message.channel));
    const customer = request.customer;
    if (recipient !== customer)
      violations.push(
        `${key} (${message.ref}): sent to ${recipient ? recipient.customerId : 'nobody of this run'}, not ${customer.customerId}`,
      );
    if (!insideWindow(message.at, customer.timeZone)) {
      outsideWindow += 1;
      violations.push(
        `${key} (${message.ref}): sent at ${new Date(message.at).toISOString()}, ${hhmm(localMinute(message.at, customer.timeZone))} in ${customer.timeZone}: outside the send window`,
      );
    }
    const stop = firstStop.get(customer.customerId);
    if (stop && message.at > stop.answeredAt) {
      afterOptOut += 1;
      violations.push(
        `${key} (${message.ref}): sent ${message.at - stop.answeredAt} ms after ${customer.customerId}'s STOP on ${stop.channel} was answered`,
      );
    }
  }

  let duplicates = 0;
  for (const [key, list] of taken) {
    if (list.length < 2) continue;
    duplicates += list.length - 1;
    violations.push(
      `${key}: taken ${list.length} times by the provider (${list.map((m) => `${m.ref} at ${new Date(m.at).toISOString()}`).join(', ')})`,
    );
  }
  let fallbacks = 0;
  for (const [outreachId, channels] of sentOn) {
    if (channels.size < 2) continue;
    const failed = input.failedChannels.get(outreachId) ?? new Set<Channel>();
    // Every channel but the last one taken must have been reported FAILED.
    const inOrder = input.messages
      .filter((m) => m.messageId !== undefined && parseMessageId(m.messageId)?.outreachId === outreachId)
      .sort((a, b) => a.at - b.at)
      .map((m) => m.channel);
    const earlier = [...new Set(inOrder)].slice(0, -1);
    const unreported = earlier.filter((c) => !failed.has(c));
    if (unreported.length > 0)
      violations.push(
        `${outreachId}: taken on ${[...new Set(inOrder)].join(' then ')} without a FAILED report for ${unreported.join(', ')}`,
      );
    else fallbacks += 1;
  }
  return {
    sends: Object.values(sendsByChannel).reduce((a, b) => a + b, 0),
    sendsByChannel,
    confirmations,
    foreign,
    fallbacks,
    duplicates,
    outsideWindow,
    afterOptOut,
    sentOn,
    violations,
  };
}
