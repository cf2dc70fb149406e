import { createHmac, timingSafeEqual } from 'node:crypto';
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
import { fieldOf, headerOf, jsonOf, type AnswerContext, type ProviderAnswer } from '../provider-http';
import type { WhatsAppCloudConfig } from './whatsapp-cloud.config';

const WAMID = /^wamid\.[A-Za-z0-9_=+/-]{1,512}$/;
const WA_ID = /^\d{7,15}$/;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const MAX_TEXT = 4096;
/** `biz_opaque_callback_data` carries our message id; the Cloud API takes up to 512 characters. */
const MAX_MESSAGE_ID = 512;

const STATES: Readonly<Record<string, DeliveryState>> = {
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'READ',
  failed: 'FAILED',
};

const CODES: ProviderErrorCodes = {
  errorBody: 'a Graph error',
  meanings: {
    190: 'access token refused',
    100: 'invalid parameter',
    130429: 'rate limit hit',
    131026: 'message undeliverable',
    131047: 'outside the 24-hour customer-service window (a template is needed)',
    131051: 'unsupported message type',
    132000: 'template parameter count mismatch',
    132001: 'template does not exist',
  },
  rateLimited: new Set([4, 80007, 130429, 131048, 131056]),
  temporary: new Set([1, 2, 131000, 131016]),
  credentialsRefused: new Set([190]),
};

/** Reads the answer: a 200 counts only when it names a wamid for the recipient we sent to. */
export function classifyWhatsAppAnswer(
  answer: ProviderAnswer,
  to: string,
  context: AnswerContext,
): SendOutcome {
  const { name } = context;
  const { status } = answer;
  const body = jsonOf(answer);
  if (status >= 200 && status < 300) {
    const messages = fieldOf(body, 'messages');
    const contacts = fieldOf(body, 'contacts');
    const id = Array.isArray(messages) ? fieldOf(messages[0], 'id') : undefined;
    const input = Array.isArray(contacts) ? fieldOf(contacts[0], 'input') : undefined;
    if (typeof id !== 'string' || !WAMID.test(id)) {
      return { kind: 'unknown', reason: `${name}: answered ${status} without a wamid` };
    }
    if (typeof input !== 'string' || input.replace(/^\+/, '') !== to) return answeredForAnother(name, status);
    return { kind: 'accepted', providerRef: id };
  }
  // A Graph error says the API did not take the message; anything else (a gateway's page) says nothing.
  return classifyRefusal(answer, errorCodeIn(fieldOf(fieldOf(body, 'error'), 'code')), CODES, context);
}

export type WhatsAppCloudProviderOptions = HttpChannelProviderOptions;

function at(path: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new WebhookPayloadError(path, 'must be an array');
  return value;
}

/** A Cloud API timestamp (seconds since the epoch, as a string) in ms. */
function timestampMs(path: string, value: unknown): number {
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value)) {
    throw new WebhookPayloadError(path, 'must be seconds since the epoch');
  }
  return Number(value) * 1000;
}

/** The text a customer sent: a text message's body, a quick-reply button's text or an interactive reply's title. */
function inboundText(message: unknown): string {
  switch (fieldOf(message, 'type')) {
    case 'text':
      return String(fieldOf(fieldOf(message, 'text'), 'body') ?? '');
    case 'button':
      return String(fieldOf(fieldOf(message, 'button'), 'text') ?? '');
    case 'interactive': {
      const interactive = fieldOf(message, 'interactive');
      const reply = fieldOf(interactive, 'button_reply') ?? fieldOf(interactive, 'list_reply');
      return String(fieldOf(reply, 'title') ?? '');
    }
    default:
      return '';
  }
}

/**
 * WhatsApp through Meta's Cloud API (`POST /{version}/{phone-number-id}/messages`, Bearer token), or anything that
 * speaks it, such as the simulated provider. A message with a `template` goes as that approved template (required
 * outside the 24-hour customer-service window), otherwise as free-form text. Our message id travels as
 * `biz_opaque_callback_data`, which the Cloud API echoes in that message's status webhooks.
 *
 * The Cloud API has no endpoint to read a message's status: statuses arrive by webhook only, so `lookup` is always
 * inconclusive, and a send that ended `unknown` is resolved by the status webhooks that name it.
 */
export class WhatsAppCloudProvider
  extends HttpChannelProvider<WhatsAppCloudConfig>
  implements ChannelProvider
{
  readonly channel = 'WHATSAPP' as const;
  private readonly appSecret: Buffer;

  constructor(config: WhatsAppCloudConfig, options: WhatsAppCloudProviderOptions = {}) {
    super(config, options, 'WhatsApp send outcome unknown: resolve by the status webhooks, do not resend');
    this.appSecret = Buffer.from(config.appSecret, 'utf8');
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const refused = this.refusedLocally(message);
    if (refused) return { kind: 'rejected', permanent: true, reason: `${this.name}: ${refused}` };
    const to = message.to.slice(1);
    const { template } = message;
    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      biz_opaque_callback_data: message.messageId,
      ...(template
        ? {
            type: 'template',
            template: {
              name: template.name,
              language: { code: template.language },
              ...(template.parameters.length > 0
                ? {
                    components: [
                      {
                        type: 'body',
                        parameters: template.parameters.map((text) => ({ type: 'text', text })),
                      },
                    ],
                  }
                : {}),
            },
          }
        : { type: 'text', text: { preview_url: false, body: message.text } }),
    };
    return this.sendAndRead(
      message,
      () =>
        this.http.post<string>(
          `/${this.config.apiVersion}/${this.config.phoneNumberId}/messages`,
          JSON.stringify(body),
          {
            headers: {
              Authorization: `Bearer ${this.config.accessToken}`,
              'Content-Type': 'application/json',
            },
          },
        ),
      (answer, context) => classifyWhatsAppAnswer(answer, to, context),
    );
  }

  private refusedLocally(message: OutboundMessage): string | undefined {
    const refused = refusedAddress(message, 'WHATSAPP') ?? refusedMessageId(message, MAX_MESSAGE_ID);
    if (refused) return refused;
    if (message.template) {
      if (message.template.name.length === 0) return 'template.name: must not be empty';
      if (message.template.language.length === 0) return 'template.language: must not be empty';
      return undefined;
    }
    if (message.text.length === 0) return 'text: must not be empty';
    if (message.text.length > MAX_TEXT) return `text: must be at most ${MAX_TEXT} characters`;
    return undefined;
  }

  /** The Cloud API has no message-status lookup (statuses come by webhook only). */
  lookup(): Promise<LookupResult> {
    return Promise.resolve({
      kind: 'inconclusive',
      reason: `${this.name}: the WhatsApp Cloud API has no message-status lookup; statuses arrive by webhook`,
    });
  }

  /** Whether `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body keyed by the app secret. */
  verifyWebhook(request: WebhookRequest): boolean {
    if (!this.webhookWithinLimit(request)) return false;
    const hex = SIGNATURE.exec(headerOf(request.headers, 'x-hub-signature-256') ?? '')?.[1];
    if (hex === undefined) return false;
    const given = Buffer.from(hex, 'hex');
    const expected = createHmac('sha256', this.appSecret).update(request.rawBody).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * The statuses and inbound messages of a verified webhook call, for this provider's phone number (changes for
   * another number of the same app, and fields other than `messages`, are not ours and are skipped).
   */
  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    this.assertWebhookWithinLimit(request);
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      throw new WebhookPayloadError('body', 'must be JSON');
    }
    if (fieldOf(body, 'object') !== 'whatsapp_business_account') {
      throw new WebhookPayloadError('object', 'must be whatsapp_business_account');
    }
    const events: WebhookEvent[] = [];
    at('entry', fieldOf(body, 'entry')).forEach((entry, e) => {
      at(`entry[${e}].changes`, fieldOf(entry, 'changes')).forEach((change, c) => {
        if (fieldOf(change, 'field') !== 'messages') return;
        const path = `entry[${e}].changes[${c}].value`;
        const value = fieldOf(change, 'value');
        if (fieldOf(fieldOf(value, 'metadata'), 'phone_number_id') !== this.config.phoneNumberId) return;
        const statuses = fieldOf(value, 'statuses');
        if (statuses !== undefined) {
          at(`${path}.statuses`, statuses).forEach((status, s) => {
            events.push(this.statusEvent(status, `${path}.statuses[${s}]`));
          });
        }
        const messages = fieldOf(value, 'messages');
        if (messages !== undefined) {
          at(`${path}.messages`, messages).forEach((message, m) => {
            events.push(this.inboundEvent(message, `${path}.messages[${m}]`));
          });
        }
      });
    });
    return events;
  }

  private statusEvent(status: unknown, path: string): WebhookEvent {
    const id = fieldOf(status, 'id');
    if (typeof id !== 'string' || !WAMID.test(id))
      throw new WebhookPayloadError(`${path}.id`, 'must be a wamid');
    const state = STATES[String(fieldOf(status, 'status'))];
    if (state === undefined) {
      throw new WebhookPayloadError(`${path}.status`, `must be one of ${Object.keys(STATES).join(', ')}`);
    }
    const errors = fieldOf(status, 'errors');
    const code = Array.isArray(errors) ? fieldOf(errors[0], 'code') : undefined;
    const errorCode = typeof code === 'number' && Number.isSafeInteger(code) ? String(code) : undefined;
    const opaque = fieldOf(status, 'biz_opaque_callback_data');
    const messageId =
      typeof opaque === 'string' && opaque.length > 0 && opaque.length <= MAX_MESSAGE_ID ? opaque : undefined;
    return {
      kind: 'status',
      providerRef: id,
      state,
      at: timestampMs(`${path}.timestamp`, fieldOf(status, 'timestamp')),
      ...(messageId === undefined ? {} : { messageId }),
      ...(errorCode === undefined ? {} : { errorCode }),
    };
  }

  private inboundEvent(message: unknown, path: string): WebhookEvent {
    const id = fieldOf(message, 'id');
    if (typeof id !== 'string' || !WAMID.test(id))
      throw new WebhookPayloadError(`${path}.id`, 'must be a wamid');
    const from = fieldOf(message, 'from');
    if (typeof from !== 'string' || !WA_ID.test(from)) {
      throw new WebhookPayloadError(`${path}.from`, 'must be a WhatsApp id (7 to 15 digits)');
    }
    const text = inboundText(message);
    if (text.length > MAX_TEXT)
      throw new WebhookPayloadError(`${path}.text`, `must be at most ${MAX_TEXT} characters`);
    return {
      kind: 'inbound',
      from: `+${from}`,
      text,
      providerRef: id,
      at: timestampMs(`${path}.timestamp`, fieldOf(message, 'timestamp')),
    };
  }
}
