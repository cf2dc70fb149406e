/**
 * What the HTTP-based channel providers (SMS, WhatsApp) share: one axios instance per provider that never follows a
 * redirect, never goes through an ambient proxy, bounds the answer it reads and sends each request in a CLIENT span
 * with its W3C `traceparent` (`traceAxios`); the reading of Retry-After; and what
 * a request that got no answer means.
 */
import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { traceAxios } from '@closeout/telemetry';
import type { SendOutcome } from './channel-provider';

export interface ProviderHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  maxAnswerBytes: number;
}

export function providerHttp(options: ProviderHttpOptions): AxiosInstance {
  const secure = new URL(options.baseUrl).protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const instance = axios.create({
    baseURL: options.baseUrl,
    allowAbsoluteUrls: false,
    ...(secure ? { httpsAgent: agent } : { httpAgent: agent }),
    // The provider is where we connect: an ambient HTTP(S)_PROXY would blur "never connected" into "connected".
    proxy: false,
    maxRedirects: 0,
    timeout: options.timeoutMs,
    validateStatus: () => true,
    responseType: 'text',
    // A longer answer is cut off (ERR_BAD_RESPONSE): after the request left, an unknown outcome.
    maxContentLength: options.maxAnswerBytes,
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
  });
  return traceAxios(instance);
}

/** Connection failures that happen before a byte of the request left: sending again cannot duplicate anything. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The network error's code (`ECONNRESET`, `ECONNABORTED`, …), never its message (which may carry the URL). */
export function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'network error';
}

/**
 * A send that got no answer. Refused connections and unknown hosts never carried the request: a retryable rejection.
 * Anything else (a timeout, a reset, an answer cut off) may have happened after the provider took the message:
 * unknown, to be resolved by lookup or by the provider's webhooks, never by sending again. A timeout during the
 * connection itself is counted here too: the conservative side.
 */
export function noAnswerOutcome(error: unknown, provider: string, defaultRetryAfterMs: number): SendOutcome {
  const code = failureCode(error);
  return NEVER_SENT.has(code)
    ? {
        kind: 'rejected',
        permanent: false,
        reason: `${provider}: not sent (${code})`,
        retryAfterMs: defaultRetryAfterMs,
      }
    : { kind: 'unknown', reason: `${provider}: no answer after the request was sent (${code})` };
}

/** What a provider answered, as axios gives it (`data` is the body text: answers are read as text). */
export interface ProviderAnswer {
  status: number;
  headers: object;
  data: unknown;
}

/** What reading an answer needs besides the answer: the provider's name and its fallback wait. */
export interface AnswerContext {
  name: string;
  defaultRetryAfterMs: number;
  now: () => number;
}

const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** `Retry-After` in ms (delta-seconds or an HTTP date), bounded to a day; undefined when absent or unreadable. */
export function retryAfterMs(answer: ProviderAnswer, now: number): number | undefined {
  const value = (answer.headers as Record<string, unknown>)['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const ms = /^\d{1,9}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/** The answer body as JSON, or undefined when it is not JSON. */
export function jsonOf(answer: ProviderAnswer): unknown {
  const { data } = answer;
  if (typeof data !== 'string' || data.trim() === '') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

export function fieldOf(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** A header of a webhook request, whatever the case of its name. */
export function headerOf(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** E.164: + and 7 to 15 digits, no leading zero. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/** The logger calls a provider makes; a pino logger fits. Never given a contact point or a body unmasked. */
export interface ProviderLogger {
  warn(obj: object, msg: string): void;
}
