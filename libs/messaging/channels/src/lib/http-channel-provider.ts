/**
 * What the HTTP-based channel providers (SMS, WhatsApp) do alike around their own wire format: send one request and
 * read its answer (no answer: `noAnswerOutcome`), warn when the outcome is unknown, refuse locally what any of them
 * would refuse, bound webhooks, and read a refusal by its HTTP status and the provider's error code.
 */
import type { AxiosInstance, AxiosResponse } from 'axios';
import { maskPhone } from '@closeout/privacy';
import type { Channel, OutboundMessage, SendOutcome, WebhookRequest } from './channel-provider';
import { WebhookPayloadError } from './provider-errors';
import {
  E164,
  noAnswerOutcome,
  providerHttp,
  retryAfterMs,
  type AnswerContext,
  type ProviderAnswer,
  type ProviderHttpOptions,
  type ProviderLogger,
} from './provider-http';

export interface HttpChannelProviderOptions {
  now?: () => number;
  logger?: ProviderLogger;
}

/** The configuration every HTTP channel provider has. */
export interface HttpChannelConfig extends ProviderHttpOptions {
  name: string;
  maxWebhookBytes: number;
  defaultRetryAfterMs: number;
}

export abstract class HttpChannelProvider<C extends HttpChannelConfig> {
  readonly name: string;
  protected readonly http: AxiosInstance;
  protected readonly now: () => number;
  protected readonly logger: ProviderLogger | undefined;

  constructor(
    protected readonly config: C,
    options: HttpChannelProviderOptions,
    /** What the warning of an unknown send outcome says to do. */
    private readonly unknownOutcomeWarning: string,
  ) {
    this.name = config.name;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.http = providerHttp(config);
  }

  /** Sends with `request` and reads the answer with `classify`; an unknown outcome is warned about. */
  protected async sendAndRead(
    message: OutboundMessage,
    request: () => Promise<AxiosResponse<string>>,
    classify: (answer: ProviderAnswer, context: AnswerContext) => SendOutcome,
  ): Promise<SendOutcome> {
    let answer: AxiosResponse<string>;
    try {
      answer = await request();
    } catch (error) {
      const outcome = noAnswerOutcome(error, this.name, this.config.defaultRetryAfterMs);
      if (outcome.kind === 'unknown') this.warnUnknown(message, outcome.reason);
      return outcome;
    }
    const outcome = classify(answer, {
      name: this.name,
      defaultRetryAfterMs: this.config.defaultRetryAfterMs,
      now: this.now,
    });
    if (outcome.kind === 'unknown') this.warnUnknown(message, outcome.reason);
    return outcome;
  }

  /** Whether a webhook's body is within the configured limit. */
  protected webhookWithinLimit(request: WebhookRequest): boolean {
    return request.rawBody.length <= this.config.maxWebhookBytes;
  }

  /** Refuses a webhook whose body is past the configured limit. */
  protected assertWebhookWithinLimit(request: WebhookRequest): void {
    if (!this.webhookWithinLimit(request)) {
      throw new WebhookPayloadError('body', `must be at most ${this.config.maxWebhookBytes} bytes`);
    }
  }

  private warnUnknown(message: OutboundMessage, reason: string): void {
    this.logger?.warn(
      { provider: this.name, messageId: message.messageId, to: maskPhone(message.to), reason },
      this.unknownOutcomeWarning,
    );
  }
}

/** What every HTTP channel provider refuses before sending as to where it goes: another channel, a `to` not E.164. */
export function refusedAddress(message: OutboundMessage, channel: Channel): string | undefined {
  if (message.channel !== channel) return `channel: must be ${channel}`;
  if (!E164.test(message.to)) return 'to: must be an E.164 number';
  return undefined;
}

/** A message id the provider cannot carry: empty or past `maxMessageId` characters. */
export function refusedMessageId(message: OutboundMessage, maxMessageId: number): string | undefined {
  return message.messageId.length === 0 || message.messageId.length > maxMessageId
    ? `messageId: must be 1 to ${maxMessageId} characters`
    : undefined;
}

/** A provider's error code as found in its error body: a positive safe integer, else undefined. */
export function errorCodeIn(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** How a provider's error codes read. */
export interface ProviderErrorCodes {
  /** What the provider's error body is called, for a 5xx answered without one. */
  errorBody: string;
  /** What each code means, for reasons (never the provider's own message, which may quote the recipient). */
  meanings: Readonly<Record<number, string>>;
  /** Throttling: sending again later helps. */
  rateLimited?: ReadonlySet<number>;
  /** The platform's own trouble: sending again later may help. */
  temporary?: ReadonlySet<number>;
  /** Refused credentials. */
  credentialsRefused?: ReadonlySet<number>;
}

/**
 * A non-2xx answer with the provider's error `code` (undefined: none). Throttling and the provider's own trouble
 * are retryable after Retry-After (or the default wait); a 5xx without the provider's error body says nothing about
 * the message: unknown. Refused credentials are a configuration to fix, after which the same message goes through;
 * other 4xx are permanent.
 */
export function classifyRefusal(
  answer: ProviderAnswer,
  code: number | undefined,
  codes: ProviderErrorCodes,
  context: AnswerContext,
): SendOutcome {
  const { name, defaultRetryAfterMs, now } = context;
  const { status } = answer;
  const has = (set: ReadonlySet<number> | undefined): boolean =>
    code !== undefined && set?.has(code) === true;
  const meaning = code === undefined ? undefined : codes.meanings[code];
  const label =
    code === undefined ? `HTTP ${status}` : `${code}${meaning ? `: ${meaning}` : ''} (HTTP ${status})`;
  const reason = `${name} ${label}`;
  const retry = (): SendOutcome => ({
    kind: 'rejected',
    permanent: false,
    reason,
    retryAfterMs: retryAfterMs(answer, now()) ?? defaultRetryAfterMs,
  });
  if (status === 429 || has(codes.rateLimited)) return retry();
  if (status >= 500) {
    return code === undefined
      ? { kind: 'unknown', reason: `${name}: answered ${status} without ${codes.errorBody}` }
      : retry();
  }
  if (has(codes.temporary)) return retry();
  if (status === 401 || status === 403 || has(codes.credentialsRefused)) {
    return { kind: 'rejected', permanent: false, reason };
  }
  if (status >= 400) return { kind: 'rejected', permanent: true, reason };
  return { kind: 'unknown', reason: `${name}: answered ${status}` };
}

/** A 2xx that names another recipient than the one sent: someone else's answer, an unknown outcome. */
export function answeredForAnother(name: string, status: number): SendOutcome {
  return { kind: 'unknown', reason: `${name}: answered ${status} for another recipient than the one sent` };
}
