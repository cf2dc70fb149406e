/**
 * TEST DOUBLE — the simulated Twilio-compatible SMS provider. It stands in for Twilio's Programmable Messaging API
 * in tests and demos so Closeout's SMS channel can be driven through what a real provider does. Not production code.
 *
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (HTTP Basic AccountSid:AuthToken, form-encoded To, From or
 * MessagingServiceSid, Body, StatusCallback) answers 201 with the Message resource (`SM…`, `queued`) or Twilio's
 * error JSON (`code`, `message`, `more_info`, `status`); `GET …/Messages/{Sid}.json` looks one up. Accepted messages
 * go queued → sent → delivered (or undelivered / failed), each step POSTed form-encoded to the message's
 * StatusCallback with `X-Twilio-Signature`; customer replies are POSTed to the inbound webhook the same way, and an
 * opt-out keyword (STOP …) unsubscribes the sender, as Twilio's default opt-out handling does (21610 afterwards).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANSWER_MODES,
  BodyTooLarge,
  contentKey,
  countWebhookAnswer,
  dropAnswer,
  faultControls,
  handleProviderControls,
  MessageFaultBook,
  PendingTimers,
  postWebhookBody,
  readBody as readRequestBody,
  sendJson,
  startSimulatorServer,
  type SendContext,
  type SimulatedCoreControls,
  type WebhookCounts,
} from '@closeout/simulators/shared';
import { faultRuleSchema, type FaultRule } from './faults';
import { SmsJournal, type SmsJournalEntry } from './journal';
import { twilioSignature } from './signature';
import { StatsRecorder, type SmsProviderStats } from './stats';

export interface SmsProviderAccount {
  accountSid: string;
  authToken: string;
  /** The account's SMS-capable numbers (E.164): what `From` may be. */
  numbers: readonly string[];
  /** Messaging services of the account: `MessagingServiceSid` → the number it sends from. */
  messagingServices?: Readonly<Record<string, string>>;
}

export interface SmsProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  account: SmsProviderAccount;
  /** Where customers' replies are POSTed (the number's "A message comes in" webhook); none: replies are dropped. */
  inboundWebhookUrl?: string;
  /** Mirror the journal to this JSONL file; an existing file is loaded. */
  journalFile?: string;
  /** Recipients whose messages always end undelivered (30003). */
  undeliverableNumbers?: readonly string[];
  /**
   * Whether an opt-out keyword unsubscribes the sender here, as Twilio's default opt-out handling does (default
   * true); false: the account handles opt-outs itself (its webhook gets the reply, its sends still go out).
   */
  keywordOptOut?: boolean;
  /** Recipients already opted out: sends to them answer 21610. */
  unsubscribedNumbers?: readonly string[];
  faults?: FaultRule[];
  /** Time between two status steps (queued → sent → final), default 50 ms. */
  statusStepMs?: number;
  /** Time from delivery to a scripted customer reply, default 50 ms. */
  replyDelayMs?: number;
  /** Default `Retry-After` of `rate_limited`, default 1 s. */
  retryAfterSeconds?: number;
  random?: () => number;
  now?: () => number;
  log?: (line: string) => void;
}

type MessageStatus = 'accepted' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

interface MessageState {
  entry: SmsJournalEntry;
  status: MessageStatus;
  errorCode: number | null;
  dateUpdated: number;
  dateSent: number | null;
}

/** A webhook the provider POSTed, for a test to wait on. */
export interface PostedWebhook {
  kind: 'status' | 'inbound';
  url: string;
  params: Record<string, string>;
  /** The answer's status; 0 when the call failed. */
  answeredStatus: number;
  /** When the answer came (or the call failed), in ms since the epoch: when the receiver had it. */
  answeredAt: number;
}

export interface SmsProvider extends SimulatedCoreControls<SmsJournalEntry, SmsProviderStats, FaultRule> {
  url: string;
  port: number;
  /** Every webhook POSTed so far, in order. */
  webhooks(): readonly PostedWebhook[];
  /** A customer message to one of the account's numbers, POSTed to the inbound webhook; resolves with its sid. */
  customerMessage(from: string, to: string, body: string): Promise<string>;
}

const API = '/2010-04-01';
const MAX_BODY_BYTES = 64 * 1024;
const MAX_SMS_BODY = 1600;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Twilio's default opt-out keywords. */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

const ERRORS: Record<number, { status: number; message: string }> = {
  20003: { status: 401, message: 'Authenticate' },
  20404: { status: 404, message: 'The requested resource was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  20500: { status: 500, message: 'An internal server error has occurred' },
  21602: { status: 400, message: 'Message body is required.' },
  21603: { status: 400, message: "A 'From' phone number is required." },
  21604: { status: 400, message: "A 'To' phone number is required." },
  21606: {
    status: 400,
    message:
      "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account.",
  },
  21609: { status: 400, message: 'Invalid StatusCallback url' },
  21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
  21211: { status: 400, message: "Invalid 'To' Phone Number" },
  21617: { status: 400, message: 'The concatenated message body exceeds the 1600 character limit.' },
};

const readBody = (req: IncomingMessage): Promise<Buffer> => readRequestBody(req, MAX_BODY_BYTES);

/** JSON as Twilio answers it: with its charset. */
function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const type: Record<string, string> =
    body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' };
  sendJson(res, status, body, { ...type, ...headers });
}

function twilioError(
  res: ServerResponse,
  code: number,
  headers: Record<string, string> = {},
  status?: number,
): void {
  const known = ERRORS[code] ?? { status: status ?? 400, message: 'Error' };
  const answered = status ?? known.status;
  send(
    res,
    answered,
    {
      code,
      message: known.message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status: answered,
    },
    headers,
  );
}

/** Twilio's date format: RFC 2822 with a numeric zone. */
const rfc2822 = (ms: number): string => new Date(ms).toUTCString().replace('GMT', '+0000');

const newSid = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;

/** POSTs a form, signed as Twilio signs, and reports the answer's status (0: no answer). */
function postSignedForm(url: string, params: [string, string][], authToken: string): Promise<number> {
  return postWebhookBody(url, new URLSearchParams(params).toString(), {
    'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
    'X-Twilio-Signature': twilioSignature(authToken, url, params),
    'I-Twilio-Idempotency-Token': randomBytes(16).toString('hex'),
    'User-Agent': 'TwilioProxy/1.1',
  });
}

export async function startSmsProvider(options: SmsProviderOptions): Promise<SmsProvider> {
  const { account } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const stepMs = options.statusStepMs ?? 50;
  const replyDelayMs = options.replyDelayMs ?? 50;
  const journal = new SmsJournal(options.journalFile);
  const faults = new MessageFaultBook(options.random ?? Math.random, faultRuleSchema);
  if (options.faults) faults.add(...options.faults);
  const stats = new StatsRecorder();
  const timers = new PendingTimers();
  const unsubscribed = new Set(options.unsubscribedNumbers ?? []);
  const undeliverable = new Set(options.undeliverableNumbers ?? []);
  const posted: PostedWebhook[] = [];
  const states = new Map<string, MessageState>();
  for (const entry of journal.all()) {
    const at = Date.parse(entry.acceptedAt);
    states.set(entry.sid, { entry, status: 'queued', errorCode: null, dateUpdated: at, dateSent: null });
  }

  function resource(state: MessageState): Record<string, unknown> {
    const { entry } = state;
    return {
      account_sid: entry.accountSid,
      api_version: '2010-04-01',
      body: entry.body,
      date_created: rfc2822(Date.parse(entry.acceptedAt)),
      date_sent: state.dateSent === null ? null : rfc2822(state.dateSent),
      date_updated: rfc2822(state.dateUpdated),
      direction: 'outbound-api',
      error_code: state.errorCode,
      error_message: null,
      from: entry.from,
      messaging_service_sid: entry.messagingServiceSid,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil(entry.body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid: entry.sid,
      status: state.status,
      subresource_uris: { media: `${API}/Accounts/${entry.accountSid}/Messages/${entry.sid}/Media.json` },
      to: entry.to,
      uri: `${API}/Accounts/${entry.accountSid}/Messages/${entry.sid}.json`,
    };
  }

  function postWebhook(
    kind: PostedWebhook['kind'],
    url: string,
    params: [string, string][],
    counts: WebhookCounts,
  ): Promise<void> {
    counts.posted += 1;
    return postSignedForm(url, params, account.authToken).then((answeredStatus) => {
      countWebhookAnswer(counts, answeredStatus);
      posted.push({ kind, url, params: Object.fromEntries(params), answeredStatus, answeredAt: now() });
    });
  }

  function statusCallback(
    state: MessageState,
    status: MessageStatus,
    errorCode: number | null,
  ): [string, string][] {
    const { entry } = state;
    return [
      ['AccountSid', entry.accountSid],
      ['ApiVersion', '2010-04-01'],
      ...(errorCode === null ? [] : ([['ErrorCode', String(errorCode)]] as [string, string][])),
      ['From', entry.from ?? ''],
      ...(entry.messagingServiceSid
        ? ([['MessagingServiceSid', entry.messagingServiceSid]] as [string, string][])
        : []),
      ['MessageSid', entry.sid],
      ['MessageStatus', status],
      ['SmsSid', entry.sid],
      ['SmsStatus', status],
      ['To', entry.to],
    ];
  }

  async function inbound(from: string, to: string, body: string): Promise<string> {
    const sid = newSid('SM');
    const word = body.trim().toUpperCase();
    if (options.keywordOptOut !== false) {
      if (OPT_OUT.has(word)) unsubscribed.add(from);
      if (OPT_IN.has(word)) unsubscribed.delete(from);
    }
    if (options.inboundWebhookUrl) {
      await postWebhook(
        'inbound',
        options.inboundWebhookUrl,
        [
          ['AccountSid', account.accountSid],
          ['ApiVersion', '2010-04-01'],
          ['Body', body],
          ['From', from],
          ['MessageSid', sid],
          ['NumMedia', '0'],
          ['NumSegments', '1'],
          ['SmsMessageSid', sid],
          ['SmsSid', sid],
          ['SmsStatus', 'received'],
          ['To', to],
        ],
        stats.inboundWebhooks,
      );
    }
    return sid;
  }

  /** Moves the message through its statuses and POSTs each step as the faults drawn for it say. */
  function deliver(state: MessageState, ctx: SendContext): void {
    const { entry } = state;
    const { finalFault, duplicate, late, outOfOrder, reply } = faults.drawDelivery(ctx, stats);

    let final: { status: MessageStatus; errorCode: number | null } = { status: 'delivered', errorCode: null };
    if (undeliverable.has(entry.to)) final = { status: 'undelivered', errorCode: 30003 };
    if (finalFault?.mode === 'undeliverable')
      final = { status: 'undelivered', errorCode: finalFault.errorCode ?? 30003 };
    if (finalFault?.mode === 'send_failed')
      final = { status: 'failed', errorCode: finalFault.errorCode ?? 30008 };

    const steps: { status: MessageStatus; errorCode: number | null }[] =
      final.status === 'failed' ? [final] : [{ status: 'sent', errorCode: null }, final];
    const extraMs = late ? (late.delayMs ?? 2_000) : 0;
    // The provider's own record moves in order; only the callbacks may come late, twice or out of order.
    steps.forEach((step, index) => {
      timers.later(stepMs * (index + 1), () => {
        state.status = step.status;
        state.errorCode = step.errorCode;
        state.dateUpdated = now();
        if (step.status === 'sent') state.dateSent = now();
      });
    });
    if (entry.statusCallback) {
      const callbackUrl = entry.statusCallback;
      const order = outOfOrder && steps.length > 1 ? [...steps].reverse() : steps;
      order.forEach((step, index) => {
        timers.later(stepMs * (index + 1) + extraMs, () => {
          const params = statusCallback(state, step.status, step.errorCode);
          const times = duplicate ? 2 : 1;
          for (let i = 0; i < times; i++) {
            void postWebhook('status', callbackUrl, params, stats.statusWebhooks);
          }
        });
      });
    }
    if (reply && final.status === 'delivered') {
      const replyFrom = entry.to;
      const replyTo = entry.from ?? account.numbers[0] ?? '';
      timers.later(stepMs * steps.length + extraMs + replyDelayMs, () => {
        void inbound(replyFrom, replyTo, reply.body ?? 'STOP');
      });
    }
  }

  function authorised(req: IncomingMessage, accountSid: string): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return (
      colon > 0 &&
      decoded.slice(0, colon) === account.accountSid &&
      decoded.slice(colon + 1) === account.authToken &&
      accountSid === account.accountSid
    );
  }

  async function createMessage(req: IncomingMessage, res: ServerResponse, accountSid: string): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const to = form.get('To') ?? '';
    const body = form.get('Body') ?? '';
    const key = to && body ? contentKey(to, body) : null;
    stats.arrived(key, now());
    if (!authorised(req, accountSid)) {
      stats.outcome('unauthorized');
      return twilioError(res, 20003, { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    const ctx: SendContext = { to };
    const answerFault = faults.pick(ANSWER_MODES, ctx);
    if (answerFault) stats.fault(answerFault.mode);
    if (answerFault?.mode === 'rate_limited') {
      const seconds = answerFault.retryAfterSeconds ?? options.retryAfterSeconds ?? 1;
      stats.outcome('rate_limited');
      stats.toldToWait(key, now() + seconds * 1_000);
      return twilioError(res, 20429, { 'Retry-After': String(seconds) });
    }
    if (answerFault?.mode === 'error_5xx') {
      stats.outcome('error_5xx');
      return twilioError(res, 20500, {}, answerFault.status ?? 500);
    }

    const invalid = (code: number): void => {
      stats.outcome('invalid');
      stats.rejectedAsInvalid(key);
      twilioError(res, code);
    };
    if (!form.has('To') || to === '') return invalid(21604);
    if (!E164.test(to)) return invalid(21211);
    const messagingServiceSid = form.get('MessagingServiceSid');
    const fromGiven = form.get('From');
    if (!fromGiven && !messagingServiceSid) return invalid(21603);
    const from = fromGiven ?? account.messagingServices?.[messagingServiceSid ?? ''] ?? null;
    if (from === null || !account.numbers.includes(from)) return invalid(21606);
    if (body === '') return invalid(21602);
    if (body.length > MAX_SMS_BODY) return invalid(21617);
    const statusCallback = form.get('StatusCallback');
    if (statusCallback !== null && !/^https?:\/\/\S+$/.test(statusCallback)) return invalid(21609);
    if (unsubscribed.has(to)) {
      stats.outcome('unsubscribed');
      return twilioError(res, 21610);
    }

    const acceptedAt = now();
    const entry = journal.append({
      sequence: journal.nextSequence,
      sid: newSid('SM'),
      accountSid,
      to,
      from: fromGiven,
      messagingServiceSid,
      body,
      statusCallback,
      acceptedAt: new Date(acceptedAt).toISOString(),
    });
    stats.posted(key);
    const state: MessageState = {
      entry,
      status: messagingServiceSid && !fromGiven ? 'accepted' : 'queued',
      errorCode: null,
      dateUpdated: acceptedAt,
      dateSent: null,
    };
    states.set(entry.sid, state);
    log(`accepted ${entry.sid} (#${entry.sequence})`);
    deliver(state, ctx);

    if (answerFault?.mode === 'accept_then_timeout') {
      stats.outcome('accepted_no_answer');
      return dropAnswer(res, answerFault, timers);
    }
    if (answerFault?.mode === 'foreign_answer') {
      stats.outcome('foreign_answer');
      const other = [...states.values()].find((s) => s.entry.sid !== entry.sid);
      const foreign = other ? resource(other) : { ...resource(state), sid: newSid('SM'), to: '+15005550006' };
      return send(res, 201, foreign);
    }
    stats.outcome('accepted');
    send(res, 201, resource(state));
  }

  function fetchMessage(req: IncomingMessage, res: ServerResponse, accountSid: string, sid: string): void {
    if (!authorised(req, accountSid)) return twilioError(res, 20003);
    const state = states.get(sid);
    if (!state || state.entry.accountSid !== accountSid) return twilioError(res, 20404);
    send(res, 200, resource(state));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const handled = await handleProviderControls(
      {
        journal: () => journal.all(),
        stats: () => stats.snapshot(),
        faults,
        parseRule: (candidate) => faultRuleSchema.parse(candidate),
        send,
        readText: async (r) => (await readBody(r)).toString('utf8'),
        inbound: async ({ from, to, body }) => {
          if (typeof from !== 'string' || typeof body !== 'string') {
            return [400, { error: 'invalid_inbound', message: 'from and body are required strings' }];
          }
          const sid = await inbound(from, typeof to === 'string' ? to : (account.numbers[0] ?? ''), body);
          return [201, { sid }];
        },
      },
      req,
      res,
      path,
    );
    if (handled) return;
    const create = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (create && method === 'POST') return createMessage(req, res, decodeURIComponent(create[1]!));
    const fetch = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(path);
    if (fetch && method === 'GET') {
      return fetchMessage(req, res, decodeURIComponent(fetch[1]!), decodeURIComponent(fetch[2]!));
    }
    twilioError(res, 20404);
  }

  const server = await startSimulatorServer(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge)
          return send(res, 413, { code: 21617, message: 'Request too large', status: 413 });
        log(`error: ${error instanceof Error ? error.message : String(error)}`);
        twilioError(res, 20500);
      });
    },
    { port: options.port, host: options.host, timers },
  );

  return {
    url: server.baseUrl,
    port: server.port,
    journal: () => journal.all(),
    stats: () => stats.snapshot(),
    webhooks: () => [...posted],
    customerMessage: (from, to, body) => inbound(from, to, body),
    ...faultControls(faults),
    close: () => server.close(),
  };
}
