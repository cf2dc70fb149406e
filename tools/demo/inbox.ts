/**
 * Where the simulated customers read their messages, and what the outside world recorded of every message sent:
 * the devstack's SMTP sink (the customers' mailboxes: its store, `SMTP_SINK_DATA_DIR`), the simulated SMS provider
 * (its Message resource by sid, its journal) and the simulated WhatsApp Cloud API (its journal). Nothing here prints
 * a contact point or a link: callers get booleans and counts.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutreachEvent } from '@closeout/contracts';
import type { SmsJournalEntry } from '@closeout/simulators/sms-provider';
import type { WhatsAppJournalEntry } from '@closeout/simulators/whatsapp-provider';
import { sleep } from './clock';
import {
  MINIAPP_BASE_URL,
  providerJournal,
  SMS_ACCOUNT,
  SMTP_FROM_ADDRESS,
  smsProviderUrl,
  whatsappProviderUrl,
} from './platform';
import type { ContactBlock } from './scenarios';

const LINK = new RegExp(
  `${MINIAPP_BASE_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/l/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`,
);
/** The mini-app link a message carries, as messaging mints them: `<MINIAPP_BASE_URL>/l/<43 base64url>`. */
export const linkIn = (text: string | null | undefined): string | undefined =>
  text == null ? undefined : LINK.exec(text)?.[0];
const hasLink = (text: string | null | undefined): boolean => linkIn(text) !== undefined;
/** The one-time code of messaging's one-time-code templates ("… code is 123456."). */
export const codeIn = (text: string | null | undefined): string | undefined =>
  text == null ? undefined : /code is (?:<strong>)?(\d{6})\b/.exec(text)?.[1];

/** A message the SMTP sink stored (its `<id>.json`), as much of it as the job reads. */
export interface StoredMail {
  id: string;
  messageId: string | null;
  from: string[];
  /** Recipients, lower-case. */
  to: string[];
  /** Whether the text or HTML part holds a mini-app link (read for the job's own mail only). */
  hasLink: boolean;
  /** The link itself and a one-time code, when the mail carries one (the job's own mail only). */
  link: string | undefined;
  code: string | undefined;
  /** When the sink stored it (its id's milliseconds). */
  storedAt: number;
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
        link: own ? (linkIn(stored.text) ?? linkIn(stored.html)) : undefined,
        code: own ? (codeIn(stored.text) ?? codeIn(stored.html)) : undefined,
        storedAt: Number(id.split('-')[0]),
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
 * The mini-app link of the message messaging reported SENT/DELIVERED, read where the customer reads it, addressed to
 * them: the e-mail in the sink whose Message-ID is the event's providerRef, or the SMS the provider holds under the
 * event's sid, or the WhatsApp message its journal holds under the event's id; undefined when it is not there. Asked
 * a few times over ~3 s (a mail is stored before the sink answers, an SMS before the provider does, but the event
 * may be read first on a loaded machine).
 */
export async function findDeliveredMessage(
  mailboxes: SinkMailboxes,
  e: OutreachEvent,
  contact: ContactBlock,
): Promise<string | undefined> {
  for (let i = 0; i < 10; i++) {
    const link = await findOnce(mailboxes, e, contact);
    if (link) return link;
    await sleep(300);
  }
  return undefined;
}

async function findOnce(
  mailboxes: SinkMailboxes,
  e: OutreachEvent,
  contact: ContactBlock,
): Promise<string | undefined> {
  if (!e.providerRef) return undefined;
  switch (e.channel) {
    case 'EMAIL': {
      if (!contact.email) return undefined;
      const email = contact.email.toLowerCase();
      await mailboxes.refresh();
      return mailboxes.ours().find((m) => m.messageId === e.providerRef && m.to.includes(email) && m.hasLink)
        ?.link;
    }
    case 'SMS': {
      const auth = Buffer.from(`${SMS_ACCOUNT.accountSid}:${SMS_ACCOUNT.authToken}`).toString('base64');
      const sms = await getJson<{ to: string; body: string }>(
        `${smsProviderUrl}/2010-04-01/Accounts/${SMS_ACCOUNT.accountSid}/Messages/${encodeURIComponent(e.providerRef)}.json`,
        { headers: { authorization: `Basic ${auth}` } },
      );
      return sms !== undefined && sms.to === contact.phone ? linkIn(sms.body) : undefined;
    }
    case 'WHATSAPP': {
      // The Cloud API has no lookup: the customer's handset is the provider's journal.
      await handsets.refresh();
      const entry = handsets.whatsapp.find((j) => j.id === e.providerRef);
      return entry !== undefined && `+${entry.waId}` === contact.phone ? linkIn(entry.text) : undefined;
    }
  }
}

/**
 * The customers' phones: the simulated SMS provider's and WhatsApp Cloud API's journals (JSONL, one line per message
 * accepted, appended synchronously), read on from where they stood when the job started — only the run's messages,
 * and without asking the providers for every message they ever took on each look.
 */
class JournalTail<T> {
  readonly entries: T[] = [];
  private offset: number | undefined;
  private rest = '';
  private reading: Promise<void> | undefined;

  constructor(private readonly file: string) {}

  /** Where the journal stands now: later reads start here. */
  async mark(): Promise<void> {
    this.offset = (await stat(this.file).catch(() => undefined))?.size ?? 0;
  }

  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<void> {
    const handle = await open(this.file, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      const size = (await handle.stat()).size;
      const from = this.offset ?? 0;
      if (size <= from) return;
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      this.offset = size;
      const lines = (this.rest + buffer.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.entries.push(JSON.parse(line) as T);
    } finally {
      await handle.close();
    }
  }
}

/** Both providers' journals, read on together. */
class Handsets {
  private readonly smsTail = new JournalTail<SmsJournalEntry>(providerJournal('sms-provider'));
  private readonly whatsappTail = new JournalTail<WhatsAppJournalEntry>(providerJournal('whatsapp-provider'));

  get sms(): SmsJournalEntry[] {
    return this.smsTail.entries;
  }

  get whatsapp(): WhatsAppJournalEntry[] {
    return this.whatsappTail.entries;
  }

  async mark(): Promise<void> {
    await Promise.all([this.smsTail.mark(), this.whatsappTail.mark()]);
  }

  async refresh(): Promise<void> {
    await Promise.all([this.smsTail.refresh(), this.whatsappTail.refresh()]);
  }
}

/** The run's customers' phones (marked where the journals stand when the job starts: `handsets.mark()`). */
export const handsets = new Handsets();

/**
 * The newest one-time code that reached the customer since `since` (ms), on whichever of their channels messaging
 * sent it (their mailbox, SMS or WhatsApp — a person looks at all of them); undefined after ~`waitMs`.
 */
export async function findOneTimeCode(
  mailboxes: SinkMailboxes,
  contact: ContactBlock,
  since: number,
  waitMs = 15_000,
): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  const email = contact.email?.toLowerCase();
  const waId = contact.phone?.replace(/^\+/, '');
  for (;;) {
    await Promise.all([mailboxes.refresh(), handsets.refresh()]);
    const found: { at: number; code: string }[] = [];
    if (email)
      for (const m of mailboxes.ours())
        if (m.code && m.storedAt >= since && m.to.includes(email))
          found.push({ at: m.storedAt, code: m.code });
    if (contact.phone)
      for (const s of handsets.sms) {
        const code = codeIn(s.body);
        const at = Date.parse(s.acceptedAt);
        if (code && at >= since && s.to === contact.phone) found.push({ at, code });
      }
    if (waId)
      for (const w of handsets.whatsapp) {
        const code = w.template ? w.template.parameters.find((p) => /^\d{6}$/.test(p)) : codeIn(w.text);
        const at = Date.parse(w.acceptedAt);
        if (code && at >= since && w.waId === waId) found.push({ at, code });
      }
    if (found.length > 0) return found.sort((a, b) => b.at - a.at)[0]!.code;
    if (Date.now() >= deadline) return undefined;
    await sleep(250);
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
