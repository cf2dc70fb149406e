/**
 * TEST DOUBLE — part of the local SMTP server (tools/simulators/smtp-sink). Not production code.
 *
 * The received messages on disk, one pair of files per message in one directory: `<id>.eml` (the message as
 * received) and `<id>.json` (what mailparser read from it, with the envelope). The JSON is written last, each file
 * through a temporary name and a rename, so a listed message is complete; they survive restarts, and other processes
 * (the main job, tests) may read the directory directly.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

/** `<ms since epoch, 13 digits>-<8 hex>`: sorts by arrival. */
const ID = /^\d{13}-[0-9a-f]{8}$/;

export interface StoredMessageSummary {
  id: string;
  /** ISO time the data was received. */
  receivedAt: string;
  /** The SMTP envelope (`MAIL FROM`, `RCPT TO`). */
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** The `Message-ID` header, angle brackets included. */
  messageId: string | null;
  from: string[];
  to: string[];
  subject: string | null;
  /** Size of the message as received, in bytes. */
  sizeBytes: number;
  /** False when the server dropped the connection instead of answering the data (`drop_after_data`). */
  answered: boolean;
}

export interface StoredMessage extends StoredMessageSummary {
  /** Every header line as sent, unfolded, by lower-case name (a name sent twice has two values). */
  headers: Record<string, string[]>;
  text: string | null;
  html: string | null;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((a) => a.value)
    .map((a) => a.address ?? '')
    .filter((a) => a.length > 0);
}

function headerMap(parsed: ParsedMail): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const { key, line } of parsed.headerLines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    (headers[key.toLowerCase()] ??= []).push(value);
  }
  return headers;
}

/** A stored message without its headers and bodies. */
export function summaryOf(message: StoredMessage): StoredMessageSummary {
  const { id, receivedAt, envelope, messageId, from, to, subject, sizeBytes, answered } = message;
  return { id, receivedAt, envelope, messageId, from, to, subject, sizeBytes, answered };
}

export function isMessageId(id: string): boolean {
  return ID.test(id);
}

export class MessageStore {
  /**
   * Every stored message's summary in arrival order, read from disk once and kept as messages arrive: a listing
   * (tests and the main job poll it) costs no file reads, however many messages the store holds. This process is
   * the directory's only writer.
   */
  private summaries: StoredMessageSummary[] | undefined;
  /** Messages saved while the first listing reads the directory (it may or may not see their files). */
  private savedWhileLoading: StoredMessageSummary[] | undefined;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<MessageStore> {
    await mkdir(dir, { recursive: true });
    return new MessageStore(dir);
  }

  /** Parses and stores one message; returns what was stored. */
  async save(
    raw: Buffer,
    envelope: StoredMessageSummary['envelope'],
    answered: boolean,
    now = Date.now(),
  ): Promise<StoredMessage> {
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
    const id = `${String(now).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    const message: StoredMessage = {
      id,
      receivedAt: new Date(now).toISOString(),
      envelope,
      messageId: parsed.messageId ?? null,
      from: addresses(parsed.from),
      to: addresses(parsed.to),
      subject: parsed.subject ?? null,
      sizeBytes: raw.length,
      answered,
      headers: headerMap(parsed),
      text: parsed.text ?? null,
      html: typeof parsed.html === 'string' ? parsed.html : null,
    };
    await this.writeAtomically(`${id}.eml`, raw);
    await this.writeAtomically(`${id}.json`, JSON.stringify(message, null, 2));
    this.summaries?.push(summaryOf(message));
    this.savedWhileLoading?.push(summaryOf(message));
    return message;
  }

  /** Summaries in arrival order, optionally only those with `to` among the envelope or header recipients. */
  async list(options: {
    to?: string | undefined;
    limit: number;
  }): Promise<{ messages: StoredMessageSummary[] }> {
    const wanted = options.to?.toLowerCase();
    const messages = (await this.all()).filter(
      (message) =>
        wanted === undefined ||
        [...message.envelope.rcptTo, ...message.to].some((a) => a.toLowerCase() === wanted),
    );
    return { messages: messages.slice(-options.limit) };
  }

  private async all(): Promise<StoredMessageSummary[]> {
    if (this.summaries === undefined) {
      const arrived: StoredMessageSummary[] = [];
      this.savedWhileLoading ??= arrived;
      const loaded: StoredMessageSummary[] = [];
      for (const id of await this.ids()) {
        const message = await this.get(id);
        if (message) loaded.push(summaryOf(message));
      }
      if (this.summaries === undefined) {
        const seen = new Set(loaded.map((m) => m.id));
        const all = [...loaded, ...this.savedWhileLoading.filter((m) => !seen.has(m.id))];
        this.summaries = all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        this.savedWhileLoading = undefined;
      }
    }
    return this.summaries;
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    if (!isMessageId(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as StoredMessage;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async raw(id: string): Promise<Buffer | undefined> {
    if (!isMessageId(id) || !(await this.get(id))) return undefined;
    return readFile(join(this.dir, `${id}.eml`));
  }

  /** Deletes every stored message; returns how many there were. */
  async clear(): Promise<number> {
    const ids = await this.ids();
    this.summaries = [];
    await Promise.all(
      (await readdir(this.dir))
        .filter((name) => /\.(eml|json)(\.tmp)?$/.test(name))
        .map((name) => rm(join(this.dir, name), { force: true })),
    );
    return ids.length;
  }

  async count(): Promise<number> {
    return (await this.all()).length;
  }

  private async ids(): Promise<string[]> {
    return (await readdir(this.dir))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter(isMessageId)
      .sort();
  }

  private async writeAtomically(name: string, content: Buffer | string): Promise<void> {
    const path = join(this.dir, name);
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
  }
}
