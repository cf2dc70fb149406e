/**
 * The card processor's token lookup (`GET /v1/tokens/{token}`, bearer API key), done server to server before an
 * action is published. The answer is evidence: bounded in size, validated with zod, and it must echo the token
 * asked for and be of the kind expected — anything else is refused as unverified.
 */
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { ActionFormUnavailableError } from './form-errors';

export interface CardProcessorSettings {
  /** The processor's origin, e.g. `http://127.0.0.1:8097` (CARD_PROCESSOR_URL). */
  url: string;
  /** CARD_PROCESSOR_API_KEY. */
  apiKey: string;
  /** Whole-request timeout, default 3 s. */
  timeoutMs?: number;
}

export type TokenKind = 'card' | 'bank-account';

export const CARD_TOKEN = /^tok_[A-Za-z0-9]{24}$/;
export const BANK_TOKEN = /^btok_[A-Za-z0-9]{24}$/;
export const tokenPattern = (kind: TokenKind): RegExp => (kind === 'card' ? CARD_TOKEN : BANK_TOKEN);

const cardAnswer = z.object({
  token: z.string().regex(CARD_TOKEN),
  kind: z.literal('card'),
  brand: z.string().regex(/^[a-z_-]{1,20}$/),
  last4: z.string().regex(/^\d{4}$/),
  expiryMonth: z.number().int().min(1).max(12),
  expiryYear: z.number().int().min(2000).max(2099),
});
const bankAnswer = z.object({
  token: z.string().regex(BANK_TOKEN),
  kind: z.literal('bank-account'),
  last4: z.string().regex(/^\d{4}$/),
});

export type CardDetails = z.infer<typeof cardAnswer>;
export type BankAccountDetails = z.infer<typeof bankAnswer>;
export type TokenDetails = CardDetails | BankAccountDetails;

/** What a lookup found: the details, or why the token cannot be used (never an exception for those). */
export type TokenLookup =
  { ok: true; details: TokenDetails } | { ok: false; reason: 'unknown' | 'unverified' };

/** The lookup answer is a few hundred bytes; anything larger is not the processor's answer. */
export const MAX_ANSWER_BYTES = 2048;

export class CardProcessorClient {
  private readonly http: AxiosInstance;

  constructor(settings: CardProcessorSettings, http?: AxiosInstance) {
    this.http =
      http ??
      axios.create({
        baseURL: settings.url,
        timeout: settings.timeoutMs ?? 3_000,
        maxContentLength: MAX_ANSWER_BYTES,
        maxRedirects: 0,
        headers: { Authorization: `Bearer ${settings.apiKey}`, Accept: 'application/json' },
      });
    // Whatever the instance, the body is read as text and judged here: status, size and shape.
    this.http.defaults.responseType = 'text';
    this.http.defaults.transformResponse = [(data: unknown) => data];
    this.http.defaults.validateStatus = () => true;
  }

  /** Looks `token` up; throws ActionFormUnavailableError when the processor cannot answer. */
  async lookup(token: string, kind: TokenKind): Promise<TokenLookup> {
    if (!tokenPattern(kind).test(token)) return { ok: false, reason: 'unknown' };
    let status: number;
    let body: unknown;
    try {
      const answer = await this.http.get<unknown>(`/v1/tokens/${encodeURIComponent(token)}`);
      status = answer.status;
      body = answer.data;
    } catch (error) {
      // axios refuses a body past maxContentLength: that is an answer we cannot trust, not an outage.
      if (axios.isAxiosError(error) && /maxContentLength/.test(error.message))
        return { ok: false, reason: 'unverified' };
      throw new ActionFormUnavailableError('CARD_PROCESSOR_UNAVAILABLE');
    }
    if (status === 404) return { ok: false, reason: 'unknown' };
    if (status === 408 || status === 429 || status >= 500)
      throw new ActionFormUnavailableError('CARD_PROCESSOR_UNAVAILABLE');
    if (status !== 200) return { ok: false, reason: 'unverified' };
    if (typeof body !== 'string' || Buffer.byteLength(body) > MAX_ANSWER_BYTES)
      return { ok: false, reason: 'unverified' };
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, reason: 'unverified' };
    }
    const parsed = (kind === 'card' ? cardAnswer : bankAnswer).safeParse(json);
    // The processor must be speaking of the token we asked about.
    if (!parsed.success || parsed.data.token !== token) return { ok: false, reason: 'unverified' };
    return { ok: true, details: parsed.data };
  }
}
