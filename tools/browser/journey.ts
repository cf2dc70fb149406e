/**
 * What a customer's phone or mailbox received, for the journey tests: the newest mini-app link and the newest one-time
 * code messaging really sent to an email address (read from the SMTP sink's read API, `SMTP_SINK_URL`) or to a phone
 * number (the simulated SMS provider's or WhatsApp Cloud API's journal, `GET /_sim/journal`).
 *
 *   const link = await waitForLatestLink({ email: 'ada@example.com' }, { since: startedAt });
 *   await page.goto(link);
 *   …
 *   const code = await waitForLatestCode({ phone: '+15005550123', smsProviderUrl: sms.url }, { since: askedAt });
 *
 * Nothing here logs a contact point, a link or a code; failure messages name the channel, not the recipient.
 */

/** A mini-app link as messaging mints them: `<base>/l/<43 base64url characters>` (256 bits), not `/unsubscribe`. */
const LINK = /\bhttps?:\/\/[^\s"'<>]+?\/l\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_/-])/g;
/** Six digits standing alone (not part of a longer number such as a phone number or an amount). */
const CODE = /(?<![\d.,])\d{6}(?![\d.,]?\d)/g;

/** The few entities an HTML part may use around a URL (liquid's `escape` filter and common encoders). */
function decodeEntities(html: string): string {
  return html.replace(/&(amp|quot|#39|#x27|#x2F|#47);/gi, (entity) => {
    switch (entity.toLowerCase()) {
      case '&amp;':
        return '&';
      case '&quot;':
        return '"';
      case '&#39;':
      case '&#x27;':
        return "'";
      default:
        return '/';
    }
  });
}

/**
 * The mini-app links in a message body (text or HTML), in order of appearance, each once; only those under `baseUrl`
 * when it is given (trailing slash ignored). One-click unsubscribe URLs (`/l/<token>/unsubscribe`) are not links to
 * open.
 */
export function extractMiniAppLinks(body: string, baseUrl?: string): string[] {
  const base = baseUrl?.replace(/\/+$/, '');
  const found = decodeEntities(body).match(LINK) ?? [];
  return [...new Set(found)].filter((url) => base === undefined || url.startsWith(`${base}/l/`));
}

/** The token of a mini-app link (what the page is opened with). */
export function linkToken(link: string): string {
  const match = /\/l\/([A-Za-z0-9_-]{43})$/.exec(new URL(link).pathname);
  if (!match) throw new Error('not a mini-app link: expected …/l/<43 base64url characters>');
  return match[1]!;
}

/**
 * The one-time code in a message body: the one six-digit number standing alone. undefined when there is none; an
 * error when there are two different ones (the message is not a code message as the templates write them).
 */
export function extractOneTimeCode(body: string): string | undefined {
  // Tags and URLs (an unsubscribe URL's token may hold six digits in a row) are not text a code is read from.
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\bhttps?:\/\/\S+/g, ' ');
  const codes = [...new Set(text.match(CODE) ?? [])];
  if (codes.length > 1)
    throw new Error(`a message holds ${codes.length} different six-digit numbers: which is the code?`);
  return codes[0];
}

export type Channel = 'EMAIL' | 'SMS' | 'WHATSAPP';

/** Whose messages to read, and where. */
export type Recipient =
  | { email: string; smtpSinkUrl?: string }
  | { phone: string; smsProviderUrl?: string }
  | { whatsapp: string; whatsappProviderUrl?: string };

/** A message as the recipient received it: bodies are the text part and the HTML part (email), or the text. */
export interface ReceivedMessage {
  channel: Channel;
  id: string;
  receivedAt: Date;
  bodies: string[];
}

export interface ReadOptions {
  /** Only messages received at or after this time. */
  since?: Date;
  /** Only links under this base URL (the mini-app's public base URL). */
  baseUrl?: string;
}

export interface WaitOptions extends ReadOptions {
  /** How long to keep looking (default 15 s); every 250 ms. */
  timeoutMs?: number;
}

const FETCH_TIMEOUT_MS = 5_000;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET ${new URL(url).pathname} answered ${res.status}`);
  return (await res.json()) as T;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`${what} is not set: pass it in the recipient or set it in the environment`);
  return value.replace(/\/+$/, '');
}

const channelOf = (r: Recipient): Channel => ('email' in r ? 'EMAIL' : 'phone' in r ? 'SMS' : 'WHATSAPP');

/** Every message the recipient received (since `since`), oldest first. */
export async function messagesTo(
  recipient: Recipient,
  options: ReadOptions = {},
): Promise<ReceivedMessage[]> {
  const since = options.since?.getTime() ?? 0;
  let messages: ReceivedMessage[];
  if ('email' in recipient) {
    const sink = required(recipient.smtpSinkUrl ?? process.env['SMTP_SINK_URL'], 'SMTP_SINK_URL');
    const { messages: summaries } = await getJson<{ messages: { id: string; receivedAt: string }[] }>(
      `${sink}/messages?to=${encodeURIComponent(recipient.email)}&limit=100`,
    );
    const recent = summaries.filter((s) => Date.parse(s.receivedAt) >= since);
    messages = await Promise.all(
      recent.map(async (s) => {
        const m = await getJson<{ text: string | null; html: string | null }>(
          `${sink}/messages/${encodeURIComponent(s.id)}`,
        );
        return {
          channel: 'EMAIL' as const,
          id: s.id,
          receivedAt: new Date(s.receivedAt),
          bodies: [m.text, m.html].filter((b): b is string => b != null),
        };
      }),
    );
  } else if ('phone' in recipient) {
    const provider = required(
      recipient.smsProviderUrl ?? process.env['SMS_PROVIDER_URL'],
      'SMS_PROVIDER_URL',
    );
    const { entries } = await getJson<{
      entries: { sid: string; to: string; body: string; acceptedAt: string }[];
    }>(`${provider}/_sim/journal`);
    messages = entries
      .filter((e) => e.to === recipient.phone)
      .map((e) => ({
        channel: 'SMS' as const,
        id: e.sid,
        receivedAt: new Date(e.acceptedAt),
        bodies: [e.body],
      }));
  } else {
    const provider = required(
      recipient.whatsappProviderUrl ?? process.env['WHATSAPP_PROVIDER_URL'],
      'WHATSAPP_PROVIDER_URL',
    );
    const waId = recipient.whatsapp.replace(/^\+/, '');
    const { entries } = await getJson<{
      entries: { id: string; waId: string; text: string; acceptedAt: string }[];
    }>(`${provider}/_sim/journal`);
    messages = entries
      .filter((e) => e.waId === waId)
      .map((e) => ({
        channel: 'WHATSAPP' as const,
        id: e.id,
        receivedAt: new Date(e.acceptedAt),
        bodies: [e.text],
      }));
  }
  // Journals and the sink list in arrival order; keep that order for equal times (stable sort).
  return messages
    .filter((m) => m.receivedAt.getTime() >= since)
    .sort((a, b) => +a.receivedAt - +b.receivedAt);
}

/** The newest value `pick` finds in the recipient's messages, newest message first. */
async function latest<T>(
  recipient: Recipient,
  options: ReadOptions,
  pick: (m: ReceivedMessage) => T | undefined,
): Promise<T | undefined> {
  const messages = await messagesTo(recipient, options);
  for (const m of messages.reverse()) {
    const found = pick(m);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The mini-app link of the newest message that carries one, or undefined. */
export function readLatestLink(recipient: Recipient, options: ReadOptions = {}): Promise<string | undefined> {
  return latest(recipient, options, (m) => {
    for (const body of m.bodies) {
      const links = extractMiniAppLinks(body, options.baseUrl);
      if (links.length > 0) return links[0];
    }
    return undefined;
  });
}

/** The one-time code of the newest message that carries one (and no mini-app link), or undefined. */
export function readLatestCode(recipient: Recipient, options: ReadOptions = {}): Promise<string | undefined> {
  return latest(recipient, options, (m) => {
    if (m.bodies.some((b) => extractMiniAppLinks(b).length > 0)) return undefined;
    for (const body of m.bodies) {
      const code = extractOneTimeCode(body);
      if (code !== undefined) return code;
    }
    return undefined;
  });
}

async function waitFor<T>(
  what: string,
  recipient: Recipient,
  options: WaitOptions,
  read: (r: Recipient, o: ReadOptions) => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const found = await read(recipient, options);
    if (found !== undefined) return found;
    if (Date.now() >= deadline)
      throw new Error(
        `no ${what} reached the ${channelOf(recipient)} recipient within ${options.timeoutMs ?? 15_000} ms` +
          (options.since ? ` since ${options.since.toISOString()}` : ''),
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits for a message with a mini-app link (messaging sends asynchronously) and returns the newest link. */
export function waitForLatestLink(recipient: Recipient, options: WaitOptions = {}): Promise<string> {
  return waitFor('mini-app link', recipient, options, readLatestLink);
}

/** Waits for a message with a one-time code and returns the newest code. */
export function waitForLatestCode(recipient: Recipient, options: WaitOptions = {}): Promise<string> {
  return waitFor('one-time code', recipient, options, readLatestCode);
}
