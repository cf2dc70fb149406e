/**
 * TEST DOUBLE — the simulated WhatsApp Cloud API. It stands in for Meta's WhatsApp Business Cloud API in tests and
 * demos so Closeout's WhatsApp channel can be driven through what the real API does. Not production code.
 *
 * `POST /{version}/{phone-number-id}/messages` (Bearer access token, JSON: `messaging_product: whatsapp`, `to`,
 * `type: text` with `text.body` or `type: template` with `template.name`, `template.language.code` and
 * `template.components`) answers `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id: "wamid…" }] }`
 * or a Graph error (`error.code`, `error.message`, `error.type`, `error.error_data.details`, `error.fbtrace_id`).
 * The 24-hour customer-service window is enforced: a free-form message to a customer whose last inbound message is
 * older than 24 h (or who never wrote) is refused with 131047; a template goes through. Accepted messages are
 * reported sent → delivered → read (or failed) in webhooks POSTed as the Cloud API does
 * (`entry[].changes[].value.statuses[]`, inbound `messages[]`), signed with `X-Hub-Signature-256`.
 * There is no endpoint to look a message's status up: the Cloud API has none.
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
  sendJson as send,
  startSimulatorServer,
  type SendContext,
  type SimulatedCoreControls,
  type WebhookCounts,
} from '@closeout/simulators/shared';
import { faultRuleSchema, type FaultRule } from './faults';
import { WhatsAppJournal, type WhatsAppJournalEntry } from './journal';
import { hubSignature } from './signature';
import { StatsRecorder, type WhatsAppProviderStats } from './stats';

export interface WhatsAppProviderOptions {
  port?: number;
  host?: string;
  accessToken: string;
  appSecret: string;
  /** The business phone number the API sends from. */
  phoneNumberId: string;
  displayPhoneNumber?: string;
  /** The WhatsApp Business Account id (`entry[].id` of webhooks). */
  wabaId?: string;
  /** The app's webhook (statuses and inbound messages); none: webhooks are dropped. */
  webhookUrl?: string;
  /** Approved template names; none given: every name is approved. An unknown one answers 132001. */
  templates?: readonly string[];
  /**
   * How a free-form message outside the window is refused: `refuse` (default) answers 400 with 131047 and sends
   * nothing; `failed_status` accepts it and reports it `failed` with 131047 in a status webhook.
   */
  windowEnforcement?: 'refuse' | 'failed_status';
  /** Length of the customer-service window, default 24 h. */
  windowMs?: number;
  /** Report `read` after `delivered` (default true). */
  readReceipts?: boolean;
  /** Recipients (wa_id, digits) whose messages always fail with 131026. */
  undeliverableNumbers?: readonly string[];
  journalFile?: string;
  faults?: FaultRule[];
  statusStepMs?: number;
  replyDelayMs?: number;
  retryAfterSeconds?: number;
  random?: () => number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface PostedWebhook {
  kind: 'status' | 'inbound';
  body: unknown;
  answeredStatus: number;
  /** When the answer came (or the call failed), in ms since the epoch: when the receiver had it. */
  answeredAt: number;
}

export interface WhatsAppProvider extends SimulatedCoreControls<
  WhatsAppJournalEntry,
  WhatsAppProviderStats,
  FaultRule
> {
  url: string;
  port: number;
  webhooks(): readonly PostedWebhook[];
  /** A customer's text message (opens or renews their 24-hour window), POSTed to the webhook; resolves with its wamid. */
  customerMessage(from: string, text: string): Promise<string>;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_TEXT = 4096;
const WA_ID = /^\d{7,15}$/;
const VERSION = /^v\d{1,2}\.\d$/;
const DAY_MS = 24 * 60 * 60 * 1000;

const readBody = (req: IncomingMessage): Promise<Buffer> => readRequestBody(req, MAX_BODY_BYTES);

/** A Graph API error. */
function graphError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  details: string,
  extra: { subcode?: number; headers?: Record<string, string> } = {},
): void {
  send(
    res,
    status,
    {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        error_data: { messaging_product: 'whatsapp', details },
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    },
    extra.headers,
  );
}

const newWamid = (): string => `wamid.${randomBytes(24).toString('base64url')}`;
const seconds = (ms: number): string => String(Math.floor(ms / 1000));

/** POSTs a JSON body, signed as Meta signs webhooks, and reports the answer's status (0: no answer). */
function postSignedJson(url: string, body: unknown, appSecret: string): Promise<number> {
  const text = JSON.stringify(body);
  return postWebhookBody(url, text, {
    'Content-Type': 'application/json',
    'X-Hub-Signature-256': hubSignature(appSecret, text),
    'User-Agent': 'facebookexternalua',
  });
}

type Status = 'sent' | 'delivered' | 'read' | 'failed';
interface FailureCode {
  code: number;
  title: string;
}
const FAILURES: Record<number, string> = {
  131026: 'Message undeliverable',
  131047: 'Re-engagement message',
  131000: 'Something went wrong',
};

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

export async function startWhatsAppProvider(options: WhatsAppProviderOptions): Promise<WhatsAppProvider> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const stepMs = options.statusStepMs ?? 50;
  const replyDelayMs = options.replyDelayMs ?? 50;
  const windowMs = options.windowMs ?? DAY_MS;
  const enforcement = options.windowEnforcement ?? 'refuse';
  const readReceipts = options.readReceipts ?? true;
  const wabaId = options.wabaId ?? '102290129340398';
  const displayPhoneNumber = options.displayPhoneNumber ?? '15550783881';
  const journal = new WhatsAppJournal(options.journalFile);
  const faults = new MessageFaultBook(options.random ?? Math.random, faultRuleSchema);
  if (options.faults) faults.add(...options.faults);
  const stats = new StatsRecorder();
  const timers = new PendingTimers();
  const undeliverable = new Set(options.undeliverableNumbers ?? []);
  const lastInbound = new Map<string, number>();
  const posted: PostedWebhook[] = [];

  function envelope(value: Record<string, unknown>): unknown {
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: displayPhoneNumber,
                  phone_number_id: options.phoneNumberId,
                },
                ...value,
              },
            },
          ],
        },
      ],
    };
  }

  function postWebhook(kind: PostedWebhook['kind'], body: unknown, counts: WebhookCounts): Promise<void> {
    if (!options.webhookUrl) return Promise.resolve();
    counts.posted += 1;
    return postSignedJson(options.webhookUrl, body, options.appSecret).then((answeredStatus) => {
      countWebhookAnswer(counts, answeredStatus);
      posted.push({ kind, body, answeredStatus, answeredAt: now() });
    });
  }

  function statusWebhook(entry: WhatsAppJournalEntry, status: Status, failure: FailureCode | null): unknown {
    return envelope({
      statuses: [
        {
          id: entry.id,
          status,
          timestamp: seconds(now()),
          recipient_id: entry.waId,
          ...(entry.bizOpaqueCallbackData === null
            ? {}
            : { biz_opaque_callback_data: entry.bizOpaqueCallbackData }),
          ...(status === 'failed'
            ? {}
            : {
                conversation: {
                  id: randomBytes(16).toString('hex'),
                  origin: { type: entry.type === 'template' ? 'utility' : 'service' },
                },
                pricing: {
                  billable: true,
                  pricing_model: 'PMP',
                  category: entry.type === 'template' ? 'utility' : 'service',
                },
              }),
          ...(failure
            ? {
                errors: [
                  {
                    code: failure.code,
                    title: failure.title,
                    message: failure.title,
                    error_data: { details: failure.title },
                  },
                ],
              }
            : {}),
        },
      ],
    });
  }

  async function inbound(from: string, text: string): Promise<string> {
    const id = newWamid();
    lastInbound.set(from, now());
    await postWebhook(
      'inbound',
      envelope({
        contacts: [{ profile: { name: 'Customer' }, wa_id: from }],
        messages: [{ from, id, timestamp: seconds(now()), type: 'text', text: { body: text } }],
      }),
      stats.inboundWebhooks,
    );
    return id;
  }

  function deliver(entry: WhatsAppJournalEntry, ctx: SendContext, forcedFailure: FailureCode | null): void {
    const { finalFault, duplicate, late, outOfOrder, reply } = faults.drawDelivery(ctx, stats);

    let failure = forcedFailure;
    if (!failure && undeliverable.has(entry.waId)) failure = { code: 131026, title: FAILURES[131026]! };
    if (!failure && finalFault) {
      const code = finalFault.errorCode ?? (finalFault.mode === 'undeliverable' ? 131026 : 131000);
      failure = { code, title: FAILURES[code] ?? 'Message failed' };
    }
    const steps: { status: Status; failure: FailureCode | null }[] = failure
      ? [{ status: 'failed', failure }]
      : [
          { status: 'sent', failure: null },
          { status: 'delivered', failure: null },
          ...(readReceipts ? [{ status: 'read' as const, failure: null }] : []),
        ];
    const extraMs = late ? (late.delayMs ?? 2_000) : 0;
    const order = outOfOrder && steps.length > 1 ? [...steps].reverse() : steps;
    order.forEach((step, index) => {
      timers.later(stepMs * (index + 1) + extraMs, () => {
        const body = statusWebhook(entry, step.status, step.failure);
        for (let i = 0; i < (duplicate ? 2 : 1); i++) void postWebhook('status', body, stats.statusWebhooks);
      });
    });
    if (reply && !failure) {
      timers.later(stepMs * steps.length + extraMs + replyDelayMs, () => {
        void inbound(entry.waId, reply.body ?? 'STOP');
      });
    }
  }

  async function createMessage(
    req: IncomingMessage,
    res: ServerResponse,
    phoneNumberId: string,
  ): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const to = field(body, 'to');
    const waId = typeof to === 'string' ? to.replace(/^\+/, '') : '';
    const type = field(body, 'type') ?? 'text';
    const textBody = field(field(body, 'text'), 'body');
    const template = field(body, 'template');
    const templateName = field(template, 'name');
    const key = waId
      ? contentKey(waId, type === 'template' ? `template:${String(templateName)}` : String(textBody))
      : null;
    stats.arrived(key, now());

    if (req.headers.authorization !== `Bearer ${options.accessToken}`) {
      stats.outcome('unauthorized');
      return graphError(
        res,
        401,
        190,
        'Invalid OAuth access token - Cannot parse access token',
        'Invalid OAuth access token',
      );
    }
    if (phoneNumberId !== options.phoneNumberId) {
      stats.outcome('invalid');
      return graphError(
        res,
        400,
        100,
        `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        'Unknown phone number id',
        { subcode: 33 },
      );
    }
    const ctx: SendContext = { to: waId };
    const answerFault = faults.pick(ANSWER_MODES, ctx);
    if (answerFault) stats.fault(answerFault.mode);
    if (answerFault?.mode === 'rate_limited') {
      const wait = answerFault.retryAfterSeconds ?? options.retryAfterSeconds ?? 1;
      stats.outcome('rate_limited');
      stats.toldToWait(key, now() + wait * 1_000);
      return graphError(
        res,
        429,
        130429,
        '(#130429) Rate limit hit',
        'Cloud API message throughput has been reached.',
        {
          headers: { 'Retry-After': String(wait) },
        },
      );
    }
    if (answerFault?.mode === 'error_5xx') {
      stats.outcome('error_5xx');
      return graphError(
        res,
        answerFault.status ?? 503,
        2,
        'Service temporarily unavailable',
        'Temporary service outage',
      );
    }

    const invalid = (details: string, code = 100, message = '(#100) Invalid parameter'): void => {
      stats.outcome('invalid');
      stats.rejectedAsInvalid(key);
      graphError(res, 400, code, message, details);
    };
    if (body === undefined) return invalid('Request body is not valid JSON');
    if (field(body, 'messaging_product') !== 'whatsapp') {
      return invalid('The parameter messaging_product is required and must be whatsapp.');
    }
    if (!WA_ID.test(waId)) return invalid('The parameter to must be a phone number.');
    let entryFields: Pick<WhatsAppJournalEntry, 'type' | 'text' | 'template'>;
    if (type === 'text') {
      if (typeof textBody !== 'string' || textBody.length === 0)
        return invalid('The parameter text.body is required.');
      if (textBody.length > MAX_TEXT)
        return invalid('Param text[body] must be at most 4096 characters long.');
      entryFields = { type: 'text', text: textBody, template: null };
    } else if (type === 'template') {
      const language = field(field(template, 'language'), 'code');
      if (typeof templateName !== 'string' || templateName === '')
        return invalid('The parameter template.name is required.');
      if (typeof language !== 'string' || language === '')
        return invalid('The parameter template.language.code is required.');
      if (options.templates && !options.templates.includes(templateName)) {
        return invalid(
          `template name (${templateName}) does not exist in ${language}`,
          132001,
          '(#132001) Template name does not exist in the translation',
        );
      }
      const components = field(template, 'components');
      const parameters: string[] = [];
      if (Array.isArray(components)) {
        for (const component of components) {
          const params = field(component, 'parameters');
          if (Array.isArray(params)) for (const p of params) parameters.push(String(field(p, 'text') ?? ''));
        }
      }
      entryFields = {
        type: 'template',
        text: templateName,
        template: { name: templateName, language, parameters },
      };
    } else {
      return invalid('The parameter type must be one of text, template.');
    }

    const last = lastInbound.get(waId);
    const outside = entryFields.type === 'text' && (last === undefined || now() - last > windowMs);
    if (outside && enforcement === 'refuse') {
      stats.outcome('outside_window');
      return graphError(
        res,
        400,
        131047,
        '(#131047) Re-engagement message',
        'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      );
    }

    const opaque = field(body, 'biz_opaque_callback_data');
    const entry = journal.append({
      sequence: journal.nextSequence,
      id: newWamid(),
      phoneNumberId,
      waId,
      ...entryFields,
      bizOpaqueCallbackData: typeof opaque === 'string' ? opaque.slice(0, 512) : null,
      acceptedAt: new Date(now()).toISOString(),
    });
    stats.posted(key);
    log(`accepted ${entry.id} (#${entry.sequence})`);
    deliver(entry, ctx, outside ? { code: 131047, title: FAILURES[131047]! } : null);

    if (answerFault?.mode === 'accept_then_timeout') {
      stats.outcome('accepted_no_answer');
      return dropAnswer(res, answerFault, timers);
    }
    const answer = (id: string, input: string, answeredWaId: string): unknown => ({
      messaging_product: 'whatsapp',
      contacts: [{ input, wa_id: answeredWaId }],
      messages: [{ id, ...(entry.type === 'template' ? { message_status: 'accepted' } : {}) }],
    });
    if (answerFault?.mode === 'foreign_answer') {
      stats.outcome('foreign_answer');
      const other = journal.all().find((e) => e.id !== entry.id);
      return send(
        res,
        200,
        other ? answer(other.id, other.waId, other.waId) : answer(newWamid(), '15005550006', '15005550006'),
      );
    }
    stats.outcome('accepted');
    send(res, 200, answer(entry.id, String(to), waId));
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
        inbound: async ({ from, text }) => {
          if (typeof from !== 'string' || !WA_ID.test(from) || typeof text !== 'string') {
            return [400, { error: 'invalid_inbound', message: 'from (wa_id digits) and text are required' }];
          }
          return [201, { id: await inbound(from, text) }];
        },
      },
      req,
      res,
      path,
    );
    if (handled) return;
    const m = /^\/([^/]+)\/([^/]+)\/messages$/.exec(path);
    if (m && method === 'POST' && VERSION.test(m[1]!))
      return createMessage(req, res, decodeURIComponent(m[2]!));
    graphError(res, 400, 100, 'Unsupported request - method type: ' + method.toLowerCase(), 'Unknown path');
  }

  const server = await startSimulatorServer(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge)
          return graphError(res, 413, 100, 'Request too large', 'Body too large');
        log(`error: ${error instanceof Error ? error.message : String(error)}`);
        graphError(res, 500, 1, 'An unknown error occurred', 'Internal error');
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
    customerMessage: (from, text) => inbound(from.replace(/^\+/, ''), text),
    ...faultControls(faults),
    close: () => server.close(),
  };
}
