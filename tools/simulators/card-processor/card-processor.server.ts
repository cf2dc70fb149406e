/**
 * TEST DOUBLE — a simulated tokenizing card processor with a hosted page, standing in for a real processor's hosted
 * fields in tests, the demo and harnesses. Not production code.
 *
 * - `GET /hosted/card?state=…&return=…[&kind=bank-account]`: the processor's own page (its own strict CSP) asking for
 *   card number, expiry and CVC — or sort code and account number;
 * - `POST /hosted/card`: validates (Luhn, expiry not past, CVC 3–4 digits; sort code 6 digits, account number 8),
 *   tokenizes and answers 303 to `<return>?state=<state>&token=<tok_…|btok_…>`; errors are named on its page (422);
 * - `GET /v1/tokens/{token}` with `Authorization: Bearer <apiKey>`: `{ token, kind, brand, last4, expiryMonth,
 *   expiryYear }` (card) or `{ token, kind, last4 }` (bank account), for the merchant's server-to-server lookup.
 *
 * The PAN, the CVC and the account number are never stored, logged or echoed: a token keeps only brand, last four
 * digits and expiry.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BodyTooLarge,
  PendingTimers,
  readBody,
  sendJson,
  startSimulatorServer,
} from '@closeout/simulators/shared';
import { hostedPage, problemPage, type HostedKind } from './hosted-page';
import { cardBrand, luhnValid, type CardBrand } from './luhn';

export interface CardProcessorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The merchant's API key for `GET /v1/tokens/{token}`. */
  apiKey: string;
  /** Origins a `return` URL may point to (the merchant's public base URLs), e.g. `http://127.0.0.1:3004`. */
  returnOrigins: readonly string[];
  /** Added to every answer (a slow processor). */
  latencyMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

/** What the processor keeps of a tokenized card or bank account: never the full number or the CVC. */
export type IssuedToken =
  | {
      token: string;
      kind: 'card';
      brand: CardBrand;
      last4: string;
      expiryMonth: number;
      expiryYear: number;
      issuedAt: string;
    }
  | { token: string; kind: 'bank-account'; last4: string; issuedAt: string };

export interface CardProcessorStats {
  pagesServed: number;
  tokensIssued: number;
  refusedOnPage: number;
  declined: number;
  lookups: { ok: number; unauthorized: number; notFound: number; badRequest: number };
}

/** The active fault rules, in the shape the simulator CLI lists them. */
export interface CardProcessorFault {
  mode: 'decline_ending_0002' | 'latency';
  latencyMs?: number;
}

export interface CardProcessor {
  url: string;
  port: number;
  /** Every token issued so far, in order. */
  issued(): readonly IssuedToken[];
  stats(): CardProcessorStats;
  faults(): CardProcessorFault[];
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 4 * 1024;
const MAX_STATE = 128;
const MAX_RETURN_URL = 1024;
const STATE_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
const TOKEN_PATTERN = /^(tok|btok)_[A-Za-z0-9]{24}$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 24 characters drawn uniformly from [A-Za-z0-9] (rejection sampling: no modulo bias). */
function randomId(length = 24): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

interface PageRequest {
  kind: HostedKind;
  state: string;
  returnUrl: URL;
}

type FieldError = { field: string; message: string };

export async function startCardProcessor(options: CardProcessorOptions): Promise<CardProcessor> {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const latencyMs = options.latencyMs ?? 0;
  const origins = new Set(options.returnOrigins.map((o) => new URL(o).origin));
  const apiKey = Buffer.from(`Bearer ${options.apiKey}`);
  const timers = new PendingTimers();
  const tokens = new Map<string, IssuedToken>();
  const stats: CardProcessorStats = {
    pagesServed: 0,
    tokensIssued: 0,
    refusedOnPage: 0,
    declined: 0,
    lookups: { ok: 0, unauthorized: 0, notFound: 0, badRequest: 0 },
  };

  /** The state, return URL and kind of a page request, or what is wrong with them. */
  function pageRequest(params: URLSearchParams): PageRequest | string {
    const state = params.get('state') ?? '';
    const ret = params.get('return') ?? '';
    const kind = params.get('kind') ?? 'card';
    if (!STATE_PATTERN.test(state) || state.length > MAX_STATE)
      return 'state: must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -';
    if (kind !== 'card' && kind !== 'bank-account') return 'kind: must be card or bank-account';
    if (ret.length === 0 || ret.length > MAX_RETURN_URL)
      return 'return: must be a URL of at most 1024 characters';
    let returnUrl: URL;
    try {
      returnUrl = new URL(ret);
    } catch {
      return 'return: must be an absolute URL';
    }
    if (!origins.has(returnUrl.origin)) return 'return: must be on a merchant origin this processor knows';
    return { kind, state, returnUrl };
  }

  function sendPage(res: ServerResponse, status: number, nonce: string, html: string, formTo?: URL): void {
    const formAction = ["'self'", ...(formTo ? [formTo.origin] : [])].join(' ');
    const body = Buffer.from(html);
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      // The page's only style carries the nonce; no script at all. Chromium applies form-action to the 303 after
      // the POST too, hence the return origin in it.
      'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    });
    res.end(body);
  }

  function showForm(res: ServerResponse, url: URL): void {
    const nonce = randomBytes(16).toString('base64');
    const request = pageRequest(url.searchParams);
    if (typeof request === 'string') return sendPage(res, 400, nonce, problemPage(request, nonce));
    stats.pagesServed += 1;
    sendPage(
      res,
      200,
      nonce,
      hostedPage({
        kind: request.kind,
        state: request.state,
        returnUrl: request.returnUrl.href,
        nonce,
        errors: [],
        values: {},
      }),
      request.returnUrl,
    );
  }

  function cardErrors(form: URLSearchParams): {
    errors: FieldError[];
    digits: string;
    month: number;
    year: number;
  } {
    const errors: FieldError[] = [];
    const digits = (form.get('cardNumber') ?? '').replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(digits))
      errors.push({ field: 'cardNumber', message: 'Card number: enter 12 to 19 digits' });
    else if (!luhnValid(digits))
      errors.push({
        field: 'cardNumber',
        message: 'Card number: this is not a valid card number (check digit)',
      });
    const monthText = (form.get('expiryMonth') ?? '').trim();
    const yearText = (form.get('expiryYear') ?? '').trim();
    const month = /^\d{1,2}$/.test(monthText) ? Number(monthText) : NaN;
    let year = /^(\d{2}|\d{4})$/.test(yearText) ? Number(yearText) : NaN;
    if (yearText.length === 2) year += 2000;
    if (!(month >= 1 && month <= 12))
      errors.push({ field: 'expiryMonth', message: 'Expiry month: enter 1 to 12' });
    if (!(year >= 2000 && year <= 2099))
      errors.push({ field: 'expiryYear', message: 'Expiry year: enter YY or YYYY' });
    if (month >= 1 && month <= 12 && year >= 2000 && year <= 2099) {
      const today = now();
      const current = today.getUTCFullYear() * 12 + today.getUTCMonth();
      if (year * 12 + (month - 1) < current)
        errors.push({ field: 'expiryYear', message: 'Expiry: the card has expired' });
    }
    if (!/^\d{3,4}$/.test((form.get('cvc') ?? '').trim()))
      errors.push({ field: 'cvc', message: 'Security code: enter 3 or 4 digits' });
    return { errors, digits, month, year };
  }

  function bankErrors(form: URLSearchParams): { errors: FieldError[]; account: string } {
    const errors: FieldError[] = [];
    const sortCode = (form.get('sortCode') ?? '').replace(/[\s-]/g, '');
    const account = (form.get('accountNumber') ?? '').replace(/\s/g, '');
    if (!/^\d{6}$/.test(sortCode)) errors.push({ field: 'sortCode', message: 'Sort code: enter 6 digits' });
    if (!/^\d{8}$/.test(account))
      errors.push({ field: 'accountNumber', message: 'Account number: enter 8 digits' });
    return { errors, account };
  }

  async function submit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const nonce = randomBytes(16).toString('base64');
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded'))
      return sendPage(res, 415, nonce, problemPage('The form must be sent form-encoded.', nonce));
    const form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8'));
    const request = pageRequest(form);
    if (typeof request === 'string') return sendPage(res, 400, nonce, problemPage(request, nonce));
    const values = Object.fromEntries(form.entries());
    let issued: IssuedToken;
    const issuedAt = now().toISOString();
    if (request.kind === 'card') {
      const { errors, digits, month, year } = cardErrors(form);
      if (errors.length === 0 && digits.endsWith('0002')) {
        stats.declined += 1;
        errors.push({ field: 'cardNumber', message: 'Card number: this card was declined by its issuer' });
      }
      if (errors.length > 0) {
        stats.refusedOnPage += 1;
        const page = hostedPage({ ...request, returnUrl: request.returnUrl.href, nonce, errors, values });
        return sendPage(res, 422, nonce, page, request.returnUrl);
      }
      issued = {
        token: `tok_${randomId()}`,
        kind: 'card',
        brand: cardBrand(digits),
        last4: digits.slice(-4),
        expiryMonth: month,
        expiryYear: year,
        issuedAt,
      };
    } else {
      const { errors, account } = bankErrors(form);
      if (errors.length > 0) {
        stats.refusedOnPage += 1;
        const page = hostedPage({ ...request, returnUrl: request.returnUrl.href, nonce, errors, values });
        return sendPage(res, 422, nonce, page, request.returnUrl);
      }
      issued = { token: `btok_${randomId()}`, kind: 'bank-account', last4: account.slice(-4), issuedAt };
    }
    tokens.set(issued.token, issued);
    stats.tokensIssued += 1;
    log(`issued ${issued.token} (${issued.kind}, last4 ${issued.last4})`);
    const location = new URL(request.returnUrl.href);
    location.searchParams.set('state', request.state);
    location.searchParams.set('token', issued.token);
    res.writeHead(303, {
      Location: location.href,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Length': '0',
    });
    res.end();
  }

  function lookup(req: IncomingMessage, res: ServerResponse, token: string): void {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== apiKey.length || !timingSafeEqual(given, apiKey)) {
      stats.lookups.unauthorized += 1;
      return sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
    }
    if (!TOKEN_PATTERN.test(token)) {
      stats.lookups.badRequest += 1;
      return sendJson(res, 400, {
        error: 'invalid_token',
        message: 'token: must be tok_ or btok_ and 24 characters',
      });
    }
    const found = tokens.get(token);
    if (!found) {
      stats.lookups.notFound += 1;
      return sendJson(res, 404, { error: 'not_found' });
    }
    stats.lookups.ok += 1;
    const answer =
      found.kind === 'card'
        ? {
            token: found.token,
            kind: found.kind,
            brand: found.brand,
            last4: found.last4,
            expiryMonth: found.expiryMonth,
            expiryYear: found.expiryYear,
          }
        : { token: found.token, kind: found.kind, last4: found.last4 };
    sendJson(res, 200, answer, { 'Cache-Control': 'no-store' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://processor');
    const method = req.method ?? 'GET';
    if (url.pathname === '/health' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/_sim/tokens' && method === 'GET') return sendJson(res, 200, [...tokens.values()]);
    if (url.pathname === '/_sim/stats' && method === 'GET') return sendJson(res, 200, stats);
    if (url.pathname === '/hosted/card' && method === 'GET') return showForm(res, url);
    if (url.pathname === '/hosted/card' && method === 'POST') return submit(req, res);
    const token = /^\/v1\/tokens\/([^/]{1,64})$/.exec(url.pathname);
    if (token && method === 'GET') return lookup(req, res, decodeURIComponent(token[1]!));
    sendJson(res, 404, { error: 'not_found' });
  }

  const server = await startSimulatorServer(
    (req, res) => {
      const run = (): void => {
        handle(req, res).catch((error: unknown) => {
          if (error instanceof BodyTooLarge)
            return sendJson(res, 413, { error: 'too_large', message: 'at most 4 KiB' });
          log(`error: ${error instanceof Error ? error.name : 'unknown'}`);
          sendJson(res, 500, { error: 'internal' });
        });
      };
      if (latencyMs > 0) timers.later(latencyMs, run);
      else run();
    },
    { port: options.port, host: options.host, timers },
  );

  return {
    url: server.baseUrl,
    port: server.port,
    issued: () => [...tokens.values()],
    stats: () => structuredClone(stats),
    faults: () => [
      { mode: 'decline_ending_0002' },
      ...(latencyMs > 0 ? [{ mode: 'latency' as const, latencyMs }] : []),
    ],
    close: () => server.close(),
  };
}
