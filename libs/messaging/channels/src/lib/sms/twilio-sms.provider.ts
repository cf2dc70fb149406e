import type { AxiosResponse } from 'axios';
import twilio from 'twilio';
import type {
  ChannelProvider,
  DeliveryState,
  LookupResult,
  OutboundMessage,
  SendOutcome,
  WebhookEvent,
  WebhookRequest,
} from '../channel-provider';
import {
  answeredForAnother,
  classifyRefusal,
  errorCodeIn,
  HttpChannelProvider,
  refusedAddress,
  refusedMessageId,
  type HttpChannelProviderOptions,
  type ProviderErrorCodes,
} from '../http-channel-provider';
import { WebhookPayloadError } from '../provider-errors';
import {
  E164,
  fieldOf,
  headerOf,
  jsonOf,
  failureCode,
  type AnswerContext,
  type ProviderAnswer,
} from '../provider-http';
import type { TwilioSmsConfig } from './twilio-sms.config';

/** A Message sid: SM (SMS) or MM (MMS) and 32 hex digits. */
const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/;
const MAX_SMS_BODY = 1600;
/** The query parameter of the status callback URL that names our message. */
export const TWILIO_CALLBACK_MESSAGE_ID = 'messageId';
const MAX_MESSAGE_ID = 200;

/** Twilio's message statuses as the port's delivery states. */
const STATES: Readonly<Record<string, DeliveryState>> = {
  accepted: 'QUEUED',
  scheduled: 'QUEUED',
  queued: 'QUEUED',
  sending: 'QUEUED',
  sent: 'SENT',
  delivered: 'DELIVERED',
  undelivered: 'UNDELIVERED',
  failed: 'FAILED',
  canceled: 'FAILED',
  read: 'READ',
};

/** What Twilio's error codes mean, for reasons: never Twilio's own message, which quotes the number. */
const CODES: ProviderErrorCodes = {
  errorBody: "Twilio's error body",
  meanings: {
    20003: 'credentials refused',
    20404: 'resource not found',
    20429: 'too many requests',
    20500: 'internal error',
    21211: "invalid 'To' number",
    21408: 'region not enabled for the account',
    21602: 'body missing',
    21603: "'From' missing",
    21604: "'To' missing",
    21606: "'From' is not a number of this account",
    21610: 'recipient unsubscribed (replied STOP)',
    21612: 'cannot route to this number',
    21614: "'To' is not a mobile number",
    21617: 'body too long',
    30007: 'filtered by the carrier',
  },
};

/**
 * Reads Twilio's answer. A 201 is evidence, not truth: unless it names a Message sid and the number we sent to, it
 * is someone else's answer or none, and the outcome is unknown.
 */
export function classifyTwilioAnswer(
  answer: ProviderAnswer,
  sentTo: string,
  context: AnswerContext,
): SendOutcome {
  const { name } = context;
  const { status } = answer;
  const body = jsonOf(answer);
  if (status >= 200 && status < 300) {
    const sid = fieldOf(body, 'sid');
    if (typeof sid !== 'string' || !MESSAGE_SID.test(sid)) {
      return { kind: 'unknown', reason: `${name}: answered ${status} without a Message sid` };
    }
    if (fieldOf(body, 'to') !== sentTo) return answeredForAnother(name, status);
    return { kind: 'accepted', providerRef: sid };
  }
  // Twilio's own error JSON says it did not take the message; anything else (a gateway's page) says nothing.
  return classifyRefusal(answer, errorCodeIn(fieldOf(body, 'code')), CODES, context);
}

export type TwilioSmsProviderOptions = HttpChannelProviderOptions;

/** A code Twilio gave, as a bounded string for DeliveryStatus.errorCode. */
function errorCodeOf(value: unknown): string | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  return /^\d{1,10}$/.test(text) ? text : undefined;
}

/**
 * SMS through Twilio's Programmable Messaging API (or anything that speaks it, such as the simulated provider).
 *
 * Sending uses axios rather than the twilio SDK's client: the SDK's errors drop the answer's headers (Retry-After is
 * lost), its base URL cannot be pointed anywhere but Twilio's hosts without replacing its HTTP client, it retries
 * 429s on its own when asked to (a resend the caller does not see) and it reads answers of any size. Signature
 * verification is the SDK's own `validateRequest`, so Twilio's algorithm (URL variants with and without the port
 * included) is the one Twilio maintains.
 */
export class TwilioSmsProvider extends HttpChannelProvider<TwilioSmsConfig> implements ChannelProvider {
  readonly channel = 'SMS' as const;
  private readonly messagesPath: string;

  constructor(config: TwilioSmsConfig, options: TwilioSmsProviderOptions = {}) {
    super(config, options, 'SMS send outcome unknown: resolve by lookup, do not resend');
    this.messagesPath = `/2010-04-01/Accounts/${config.accountSid}/Messages`;
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const refused = this.refusedLocally(message);
    if (refused) return { kind: 'rejected', permanent: true, reason: `${this.name}: ${refused}` };
    const form = new URLSearchParams({ To: message.to, Body: message.text });
    const { from, messagingServiceSid } = this.config;
    // The configuration holds one of the two.
    if (from) form.set('From', from);
    else if (messagingServiceSid) form.set('MessagingServiceSid', messagingServiceSid);
    if (this.config.statusCallbackUrl) {
      const callback = new URL(this.config.statusCallbackUrl);
      callback.searchParams.set(TWILIO_CALLBACK_MESSAGE_ID, message.messageId);
      form.set('StatusCallback', callback.toString());
    }
    return this.sendAndRead(
      message,
      () =>
        this.http.post<string>(`${this.messagesPath}.json`, form.toString(), {
          auth: { username: this.config.accountSid, password: this.config.authToken },
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        }),
      (answer, context) => classifyTwilioAnswer(answer, message.to, context),
    );
  }

  /** What Twilio would refuse anyway, refused without sending. */
  private refusedLocally(message: OutboundMessage): string | undefined {
    const address = refusedAddress(message, 'SMS');
    if (address) return address;
    if (message.text.length === 0) return 'text: must not be empty';
    if (message.text.length > MAX_SMS_BODY) return `text: must be at most ${MAX_SMS_BODY} characters`;
    return refusedMessageId(message, MAX_MESSAGE_ID);
  }

  /**
   * The message's status by its Twilio sid (`GET …/Messages/{Sid}.json`). Twilio keeps no reference of ours, so
   * without a sid there is nothing to ask: inconclusive. A send that ended `unknown` gets its sid from the status
   * callback, whose URL names our message (`messageIdOf`).
   */
  async lookup(ref: { messageId: string; providerRef?: string }): Promise<LookupResult> {
    const sid = ref.providerRef;
    if (sid === undefined) {
      return {
        kind: 'inconclusive',
        reason: `${this.name}: Twilio cannot be asked by our message id; the status callback names the sid`,
      };
    }
    if (!MESSAGE_SID.test(sid)) return { kind: 'not-found' };
    let answer: AxiosResponse<string>;
    try {
      answer = await this.http.get<string>(`${this.messagesPath}/${sid}.json`, {
        auth: { username: this.config.accountSid, password: this.config.authToken },
        headers: { Accept: 'application/json' },
      });
    } catch (error) {
      return { kind: 'inconclusive', reason: `${this.name}: lookup got no answer (${failureCode(error)})` };
    }
    if (answer.status === 404) return { kind: 'not-found' };
    if (answer.status !== 200) {
      return { kind: 'inconclusive', reason: `${this.name}: lookup answered HTTP ${answer.status}` };
    }
    const body = jsonOf(answer);
    const state = STATES[String(fieldOf(body, 'status'))];
    if (fieldOf(body, 'sid') !== sid || state === undefined) {
      return { kind: 'inconclusive', reason: `${this.name}: lookup answer does not describe message ${sid}` };
    }
    const updated = Date.parse(String(fieldOf(body, 'date_updated')));
    const errorCode = errorCodeOf(fieldOf(body, 'error_code'));
    return {
      kind: 'found',
      status: {
        providerRef: sid,
        state,
        at: Number.isFinite(updated) ? updated : this.now(),
        ...(errorCode === undefined ? {} : { errorCode }),
      },
    };
  }

  /**
   * Whether `X-Twilio-Signature` is Twilio's signature of this exact URL and these POST parameters, keyed by the
   * account's AuthToken. A missing or forged signature, another URL, or a body past the limit: false.
   */
  verifyWebhook(request: WebhookRequest): boolean {
    if (!this.webhookWithinLimit(request)) return false;
    const signature = headerOf(request.headers, 'x-twilio-signature');
    if (!signature) return false;
    const params: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(request.rawBody.toString('utf8'))) {
      const seen = params[name];
      params[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    try {
      return twilio.validateRequest(this.config.authToken, signature, request.url, params);
    } catch {
      return false;
    }
  }

  /** A status callback (MessageStatus) or an inbound message (Body) of this account. */
  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    this.assertWebhookWithinLimit(request);
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    if (form.get('AccountSid') !== this.config.accountSid) {
      throw new WebhookPayloadError('AccountSid', "must be this provider's account");
    }
    const sid = form.get('MessageSid') ?? '';
    if (!MESSAGE_SID.test(sid))
      throw new WebhookPayloadError('MessageSid', 'must be SM or MM and 32 hex digits');
    const at = this.now();
    const status = form.get('MessageStatus');
    if (status !== null) {
      const state = STATES[status];
      if (state === undefined) {
        throw new WebhookPayloadError('MessageStatus', `must be one of ${Object.keys(STATES).join(', ')}`);
      }
      const errorCode = errorCodeOf(form.get('ErrorCode'));
      const messageId = this.messageIdOf(request);
      // Twilio's status callbacks carry no time of their own: the time of receipt stands for it.
      return [
        {
          kind: 'status',
          providerRef: sid,
          state,
          at,
          ...(messageId === undefined ? {} : { messageId }),
          ...(errorCode === undefined ? {} : { errorCode }),
        },
      ];
    }
    const text = form.get('Body');
    if (text === null)
      throw new WebhookPayloadError('MessageStatus', 'must be given (or Body, for an inbound message)');
    const from = form.get('From') ?? '';
    if (!E164.test(from)) throw new WebhookPayloadError('From', 'must be an E.164 number');
    if (text.length > MAX_SMS_BODY)
      throw new WebhookPayloadError('Body', `must be at most ${MAX_SMS_BODY} characters`);
    return [{ kind: 'inbound', from, text, providerRef: sid, at }];
  }

  /** Our message id, from the query of a status callback's URL (set when the message was sent); undefined if none. */
  messageIdOf(request: WebhookRequest): string | undefined {
    let id: string | null;
    try {
      id = new URL(request.url).searchParams.get(TWILIO_CALLBACK_MESSAGE_ID);
    } catch {
      return undefined;
    }
    return id !== null && id.length > 0 && id.length <= MAX_MESSAGE_ID ? id : undefined;
  }
}
