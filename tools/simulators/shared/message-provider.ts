/**
 * TEST DOUBLE support — shared by the simulated messaging providers in tools/simulators (sms-provider,
 * whatsapp-provider). Not production code.
 *
 * What both providers do alike: the fault modes and rules (scripted `count`, probabilistic `rate` or standing,
 * each optionally matched to one recipient `match.to`), the faults drawn for one accepted message, the stats of
 * sends and of the webhooks they POST, dropping a connection after accepting, and POSTing a signed webhook.
 * Each provider keeps its own wire format, error codes and defaults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { ClientBehaviourStats, type ClientBehaviourSnapshot } from './client-behaviour-stats';
import { FaultBook, faultRuleSchemaOf, faultTimingFields } from './fault-book';
import type { PendingTimers } from './http-server';
import { handleSimAdmin, type SimAdminTarget } from './sim-admin';

export const MESSAGE_FAULT_MODES = [
  /** Answer 500 (or `status`) with the provider's error; nothing recorded, nothing sent. */
  'error_5xx',
  /** Answer 429 with `Retry-After: <retryAfterSeconds>`; nothing recorded, nothing sent. */
  'rate_limited',
  /** Record and send the message, then never answer: drop the connection after `delayMs` (0: at once). */
  'accept_then_timeout',
  /** Record and send the message, then answer with another message's id and recipient (an answer mixed up). */
  'foreign_answer',
  /** The message ends undelivered (the provider's `errorCode`, or its own default). */
  'undeliverable',
  /** The message ends failed (the provider's `errorCode`, or its own default). */
  'send_failed',
  /** Every status callback of the message is POSTed twice. */
  'duplicate_callbacks',
  /** Every status callback of the message waits `delayMs` (default 2000) more. */
  'late_callbacks',
  /** The final status callback comes before `sent`. */
  'out_of_order_callbacks',
  /** After delivery, the customer replies `body` (default STOP): a signed inbound webhook. */
  'customer_reply',
] as const;

export type MessageFaultMode = (typeof MESSAGE_FAULT_MODES)[number];

/** The rule schema of a messaging provider whose messages (and so a scripted reply) hold up to `maxBody` characters. */
export function messageFaultRuleSchema(maxBody: number) {
  return faultRuleSchemaOf(MESSAGE_FAULT_MODES, {
    match: z.strictObject({ to: z.string().min(1).optional() }).optional(),
    ...faultTimingFields,
    status: z.int().min(500).max(599).optional(),
    errorCode: z.int().min(1).optional(),
    body: z.string().min(1).max(maxBody).optional(),
  });
}

export type MessageFaultRule = z.infer<ReturnType<typeof messageFaultRuleSchema>>;

export interface SendContext {
  to: string;
}

/** The modes that shape the answer to a send request. */
export const ANSWER_MODES: readonly MessageFaultMode[] = [
  'error_5xx',
  'rate_limited',
  'accept_then_timeout',
  'foreign_answer',
];
/** The modes that decide how an accepted message ends. */
export const FINAL_STATUS_MODES: readonly MessageFaultMode[] = ['undeliverable', 'send_failed'];

export class MessageFaultBook extends FaultBook<MessageFaultRule, SendContext> {
  constructor(random: () => number, schema: { parse(candidate: unknown): MessageFaultRule }) {
    super(
      random,
      (candidate) => schema.parse(candidate),
      (rule, ctx) => rule.match?.to === undefined || rule.match.to === ctx.to,
    );
  }

  /** The first rule among `modes` that fires for this message (counted rules are consumed). */
  pick(modes: readonly MessageFaultMode[], ctx: SendContext): MessageFaultRule | undefined {
    return this.take((m) => modes.includes(m), ctx, true);
  }

  /** The faults that shape an accepted message's delivery, each drawn once and counted in `stats` when it fires. */
  drawDelivery(ctx: SendContext, stats: { fault(mode: MessageFaultMode): void }): DeliveryFaults {
    const drawn: DeliveryFaults = {
      finalFault: this.pick(FINAL_STATUS_MODES, ctx),
      duplicate: this.pick(['duplicate_callbacks'], ctx),
      late: this.pick(['late_callbacks'], ctx),
      outOfOrder: this.pick(['out_of_order_callbacks'], ctx),
      reply: this.pick(['customer_reply'], ctx),
    };
    for (const fired of Object.values(drawn)) if (fired) stats.fault(fired.mode);
    return drawn;
  }
}

export interface DeliveryFaults {
  finalFault: MessageFaultRule | undefined;
  duplicate: MessageFaultRule | undefined;
  late: MessageFaultRule | undefined;
  outOfOrder: MessageFaultRule | undefined;
  reply: MessageFaultRule | undefined;
}

export interface WebhookCounts {
  posted: number;
  /** Answered 2xx. */
  acknowledged: number;
  /** Answered otherwise, or not at all. */
  refused: number;
}

/** Counts one webhook's answer (`answeredStatus` 0: none). */
export function countWebhookAnswer(counts: WebhookCounts, answeredStatus: number): void {
  if (answeredStatus >= 200 && answeredStatus < 300) counts.acknowledged += 1;
  else counts.refused += 1;
}

/** The duplicate-send key of a message: recipient and a short hash of what it says. */
export function contentKey(to: string, content: string): string {
  return `${to}#${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
}

/** The part of a messaging provider's stats that reads the same in every provider. */
export interface MessageSendSnapshot<O extends string> extends ClientBehaviourSnapshot<MessageFaultMode> {
  sends: number;
  sendsByOutcome: Record<O, number>;
}

/**
 * A provider's stats: sends by outcome, the client-behaviour counts (duplicates keyed by `contentKey`: the APIs
 * have no idempotency key) and the webhooks POSTed, status and inbound.
 */
export class MessageSendStats<O extends string> extends ClientBehaviourStats<O, MessageFaultMode> {
  private sends = 0;
  readonly statusWebhooks: WebhookCounts = { posted: 0, acknowledged: 0, refused: 0 };
  readonly inboundWebhooks: WebhookCounts = { posted: 0, acknowledged: 0, refused: 0 };

  constructor(outcomes: readonly O[]) {
    super(outcomes, MESSAGE_FAULT_MODES);
  }

  arrived(key: string | null, now: number): void {
    this.sends += 1;
    this.writeArrived(key, now);
  }

  protected sendCounts(): MessageSendSnapshot<O> {
    return { sends: this.sends, sendsByOutcome: this.outcomeCounts(), ...super.snapshot() };
  }
}

/** `accept_then_timeout`: the message is kept, the answer never comes; the connection drops after `delayMs`. */
export function dropAnswer(res: ServerResponse, fault: MessageFaultRule, timers: PendingTimers): void {
  const drop = (): void => {
    res.socket?.destroy();
  };
  if ((fault.delayMs ?? 0) === 0) drop();
  else timers.later(fault.delayMs!, drop);
}

/** POSTs a webhook body with the given headers and reports the answer's status (0: no answer). */
export function postWebhookBody(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body).toString() },
        timeout: 5_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('webhook timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** What a provider's `/health`, `/_sim/inbound` and `/_sim/*` admin requests need. */
export interface ProviderControlTarget extends SimAdminTarget<MessageFaultRule> {
  /** A customer message from `POST /_sim/inbound`'s JSON body: the answer's status and body. */
  inbound(input: Record<string, unknown>): Promise<[status: number, body: unknown]>;
}

/**
 * Answers what every provider answers besides its API: `GET /health`, `POST /_sim/inbound` (a customer message,
 * POSTed to the provider's webhook) and the `/_sim/*` admin API; false when the request is none of these.
 */
export async function handleProviderControls(
  target: ProviderControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (path === '/health' && method === 'GET') {
    target.send(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/_sim/inbound' && method === 'POST') {
    const input = JSON.parse((await target.readText(req)) || '{}') as Record<string, unknown>;
    const [status, body] = await target.inbound(input);
    target.send(res, status, body);
    return true;
  }
  return handleSimAdmin(target, req, res, path);
}
