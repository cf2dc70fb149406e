/**
 * Where the simulated customers read their messages, and what the outside world recorded of every message sent:
 * the devstack's SMTP sink (the customers' mailboxes, `SMTP_SINK_URL`), the simulated SMS provider (its Message
 * resource by sid, its journal) and the simulated WhatsApp Cloud API (its journal). Nothing here prints a contact
 * point or a link: callers get booleans and counts.
 */
import type { OutreachEvent } from '@closeout/contracts';
import type { SmsJournalEntry } from '@closeout/simulators/sms-provider';
import type { WhatsAppJournalEntry } from '@closeout/simulators/whatsapp-provider';
import { sleep } from './clock';
import {
  MINIAPP_BASE_URL,
  SMS_ACCOUNT,
  SMTP_FROM_ADDRESS,
  smsProviderUrl,
  whatsappProviderUrl,
} from './platform';
import type { ContactBlock } from './scenarios';

/** A mini-app link as messaging mints them: `<MINIAPP_BASE_URL>/l/<token>`. */
const hasLink = (text: string | null | undefined): boolean =>
  text != null && text.includes(`${MINIAPP_BASE_URL}/l/`);

/** The summary the SMTP sink lists for a stored message. */
export interface MailSummary {
  id: string;
  messageId: string | null;
  from: string[];
  to: string[];
}

/** `messageId` of messaging's send (`out_<caseId>_<attempt>.<attempt>`) from an e-mail's Message-ID header. */
export const messageIdOfMail = (header: string | null): string | undefined =>
  header ? /^<?([^@>]+)@/.exec(header)?.[1] : undefined;

/** `messageId` of messaging's send from an SMS's status callback URL (`…?messageId=…`). */
export function messageIdOfSms(entry: SmsJournalEntry): string | undefined {
  if (!entry.statusCallback) return undefined;
  try {
    return new URL(entry.statusCallback).searchParams.get('messageId') ?? undefined;
  } catch {
    return undefined;
  }
}

async function getJson<T>(url: string, init: RequestInit = {}): Promise<T | undefined> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  if (!res?.ok) return undefined;
  return (await res.json()) as T;
}

/**
 * The sink's messages addressed to `email` (the last 1,000). The sink is shared: what the job's messaging sent comes
 * from its own address (`SMTP_FROM_ADDRESS`).
 */
export async function mailbox(env: Record<string, string>, email: string): Promise<MailSummary[]> {
  const url = `${env['SMTP_SINK_URL']}/messages?to=${encodeURIComponent(email)}&limit=1000`;
  return (await getJson<{ messages: MailSummary[] }>(url))?.messages ?? [];
}

/**
 * Whether the message messaging reported SENT/DELIVERED is where the customer reads it, addressed to them, with a
 * mini-app link: the e-mail in the sink whose Message-ID is the event's providerRef, or the SMS the provider holds
 * under the event's sid. Asked a few times over ~3 s (a mail is stored before the sink answers, an SMS before the
 * provider does, but the event may be read first on a loaded machine).
 */
export async function findDeliveredMessage(
  env: Record<string, string>,
  e: OutreachEvent,
  contact: ContactBlock,
): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    if (await findOnce(env, e, contact)) return true;
    await sleep(300);
  }
  return false;
}

async function findOnce(
  env: Record<string, string>,
  e: OutreachEvent,
  contact: ContactBlock,
): Promise<boolean> {
  if (!e.providerRef) return false;
  switch (e.channel) {
    case 'EMAIL': {
      if (!contact.email) return false;
      const mails = (await mailbox(env, contact.email)).filter(
        (m) => m.messageId === e.providerRef && m.from.includes(SMTP_FROM_ADDRESS),
      );
      for (const summary of mails) {
        const mail = await getJson<{ text: string | null; html: string | null }>(
          `${env['SMTP_SINK_URL']}/messages/${encodeURIComponent(summary.id)}`,
        );
        if (hasLink(mail?.text) || hasLink(mail?.html)) return true;
      }
      return false;
    }
    case 'SMS': {
      const auth = Buffer.from(`${SMS_ACCOUNT.accountSid}:${SMS_ACCOUNT.authToken}`).toString('base64');
      const sms = await getJson<{ to: string; body: string }>(
        `${smsProviderUrl}/2010-04-01/Accounts/${SMS_ACCOUNT.accountSid}/Messages/${encodeURIComponent(e.providerRef)}.json`,
        { headers: { authorization: `Basic ${auth}` } },
      );
      return sms !== undefined && sms.to === contact.phone && hasLink(sms.body);
    }
    case 'WHATSAPP': {
      // The Cloud API has no lookup: the customer's handset is the provider's journal.
      const entry = (await whatsappJournal()).find((j) => j.id === e.providerRef);
      return entry !== undefined && `+${entry.waId}` === contact.phone && hasLink(entry.text);
    }
  }
}

/** Every message the simulated SMS provider accepted (its journal survives its restarts). */
export async function smsJournal(): Promise<SmsJournalEntry[]> {
  return (await getJson<{ entries: SmsJournalEntry[] }>(`${smsProviderUrl}/_sim/journal`))?.entries ?? [];
}

/** Every message the simulated WhatsApp Cloud API accepted. */
export async function whatsappJournal(): Promise<WhatsAppJournalEntry[]> {
  return (
    (await getJson<{ entries: WhatsAppJournalEntry[] }>(`${whatsappProviderUrl}/_sim/journal`))?.entries ?? []
  );
}
