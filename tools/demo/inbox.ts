/**
 * Where the simulated customers read their messages, and what the outside world recorded of every message sent:
 * the devstack's SMTP sink (the customers' mailboxes: its store, `SMTP_SINK_DATA_DIR`), the simulated SMS provider
 * (its Message resource by sid, its journal) and the simulated WhatsApp Cloud API (its journal). Nothing here prints
 * a contact point or a link: callers get booleans and counts.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** A message the SMTP sink stored (its `<id>.json`), as much of it as the job reads. */
export interface StoredMail {
  id: string;
  messageId: string | null;
  from: string[];
  /** Recipients, lower-case. */
  to: string[];
  /** Whether the text or HTML part holds a mini-app link (read for the job's own mail only). */
  hasLink: boolean;
}

/**
 * The sink's messages since the job started, read from its store: one `<id>.json` per message, written last through
 * a rename (a listed file is complete), ids sorting by arrival (`<ms>-<8 hex>`), so only the run's period is read —
 * the sink's list API reads every message it ever stored, and the devstack's sink is shared with every test.
 */
export class SinkMailboxes {
  private readonly mails = new Map<string, StoredMail>();
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly since: number,
  ) {}

  /** Reads the messages stored since the last look (concurrent callers share one look). */
  refresh(): Promise<void> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** The job's own messages (sent from `SMTP_FROM_ADDRESS`) seen so far. */
  ours(): StoredMail[] {
    return [...this.mails.values()].filter((m) => m.from.includes(SMTP_FROM_ADDRESS));
  }

  private async scan(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (this.mails.has(id) || Number(id.split('-')[0]) < this.since) continue;
      const stored = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as {
        messageId: string | null;
        from: string[];
        to: string[];
        text: string | null;
        html: string | null;
      };
      const own = stored.from.includes(SMTP_FROM_ADDRESS);
      this.mails.set(id, {
        id,
        messageId: stored.messageId,
        from: stored.from,
        to: stored.to.map((a) => a.toLowerCase()),
        hasLink: own && (hasLink(stored.text) || hasLink(stored.html)),
      });
    }
  }
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
 * Whether the message messaging reported SENT/DELIVERED is where the customer reads it, addressed to them, with a
 * mini-app link: the e-mail in the sink whose Message-ID is the event's providerRef, or the SMS the provider holds
 * under the event's sid. Asked a few times over ~3 s (a mail is stored before the sink answers, an SMS before the
 * provider does, but the event may be read first on a loaded machine).
 */
export async function findDeliveredMessage(
  mailboxes: SinkMailboxes,
  e: OutreachEvent,
  contact: ContactBlock,
): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    if (await findOnce(mailboxes, e, contact)) return true;
    await sleep(300);
  }
  return false;
}

async function findOnce(mailboxes: SinkMailboxes, e: OutreachEvent, contact: ContactBlock): Promise<boolean> {
  if (!e.providerRef) return false;
  switch (e.channel) {
    case 'EMAIL': {
      if (!contact.email) return false;
      const email = contact.email.toLowerCase();
      await mailboxes.refresh();
      return mailboxes.ours().some((m) => m.messageId === e.providerRef && m.to.includes(email) && m.hasLink);
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
