import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import http from 'node:http';
import https from 'node:https';
import { createLogger, traceAxios } from '@closeout/telemetry';
import {
  AmbiguousOutcomeError,
  assertUnreachable,
  ValidationError,
  type UnknownLookupResult,
  type WireMessage,
} from '@closeout/writeback-domain';
import {
  boundedText,
  classifyNetworkFailure,
  type LookupQuery,
  type NetworkFailure,
  plausibleProviderRef,
  type SendReceipt,
  type SendRequest,
  WatchedCall,
  type WritebackDestination,
} from '@closeout/writeback-core';
import { classifyHttpAnswer, type HttpAnswer, providerCodeOf } from './classify-http-failure';
import type { RestDestinationAuth, RestDestinationConfig } from './rest-destination.config';

/** The logger calls the destination makes; a pino logger fits. */
export interface RestDestinationLogger {
  warn(obj: object, msg: string): void;
}

type Exchange = { kind: 'answer'; answer: HttpAnswer } | { kind: 'failure'; failure: NetworkFailure };

interface ExchangeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  params?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}

/** `POST /api/payments`: writes only, and a path on the destination (never `//host`, which would leave it). */
const TARGET = /^(POST|PUT|PATCH|DELETE) (\/(?!\/)\S*)$/;

function authHeaders(auth: RestDestinationAuth): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { Authorization: `Bearer ${auth.token}` };
    case 'basic':
      return {
        Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
      };
    case 'header':
      return { [auth.name]: auth.value };
    default:
      return assertUnreachable(auth, 'REST auth type');
  }
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string' || data.trim() === '') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function plainHeaders(headers: AxiosResponse['headers']): Record<string, string | undefined> {
  const plain: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers) as [string, unknown][]) {
    if (value !== undefined && value !== null) {
      plain[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  return plain;
}

function fieldOf(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const field = fieldOf(value, name);
  return typeof field === 'string' && field.length > 0 ? field : undefined;
}

/** A dotted path into a JSON value (`amount.value_minor`). */
function pathOf(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, name) => fieldOf(v, name), value);
}

/** Echoed scalars compare as text: a core may echo 1250 as "1250". */
function sameValue(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  return scalar(a) && scalar(b) ? String(a) === String(b) : JSON.stringify(a) === JSON.stringify(b);
}

/** A short, type-only or truncated rendering of an echoed value for a message: no payload copied into the ledger. */
function describeEcho(value: unknown): string {
  return typeof value === 'string' ? `"${boundedText(value, 64)}"` : typeof value;
}

const describeFailure = (failure: NetworkFailure): string =>
  `${failure.code ?? 'network error'}: ${failure.message}`;

/**
 * One REST system of record behind the writeback port. Holds connections and a rate limiter, no per-call state.
 *
 * Every write carries `Idempotency-Key`, the pinned `Api-Version`, `X-Correlation-Id` and the configured auth; every
 * request the W3C `traceparent` / `tracestate` of the call's CLIENT span (`traceAxios`).
 * Failures are classified by `classify-http-failure`; whether a failure can have reached the core is decided by
 * whether this request's connection was ever established, which is why the connect timeout is watched on the
 * request's own socket rather than folded into the overall timeout.
 */
export class RestDestination implements WritebackDestination {
  readonly protocol = 'REST' as const;
  readonly name: string;

  private readonly secure: boolean;
  private readonly agent: http.Agent;
  private readonly http: AxiosInstance;
  private readonly limiter: Bottleneck | undefined;
  private readonly auth: Record<string, string>;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly config: RestDestinationConfig,
    private readonly logger: RestDestinationLogger = createLogger('rest-destination'),
  ) {
    this.name = config.name;
    this.secure = new URL(config.baseUrl).protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: config.maxConnections };
    this.agent = this.secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.auth = authHeaders(config.auth);
    this.http = axios.create({
      baseURL: config.baseUrl,
      allowAbsoluteUrls: false,
      ...(this.secure ? { httpsAgent: this.agent } : { httpAgent: this.agent }),
      // The destination is where we connect: an ambient HTTP(S)_PROXY would sit between us and the core and blur
      // "never connected" (safe to resend) into "connected to something".
      proxy: false,
      // A redirect to a write is a misconfiguration to surface, not to follow with the body re-sent elsewhere.
      maxRedirects: 0,
      validateStatus: () => true,
      // Bodies travel as we wrote them and come back as text we parse ourselves: an unparsable answer is a fact to
      // classify, not an exception thrown from inside axios.
      responseType: 'text',
      // Whatever a destination says is bounded before it is parsed: a longer answer is cut off (ERR_BAD_RESPONSE),
      // which after the request left is an unknown outcome, resolved by lookup.
      maxContentLength: config.maxAnswerBytes,
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
    });
    // Every request carries the trace context of the worker's CLIENT span around the call (`withClientSpan`).
    traceAxios(this.http);
    this.limiter =
      config.rateLimit && tokenBucket(config.rateLimit.requestsPerSecond, config.rateLimit.burst);
  }

  async send(request: SendRequest): Promise<SendReceipt> {
    const { method, path } = this.checkWire(request.wire);
    const outcome = await this.exchange({
      method,
      path,
      headers: {
        ...this.readHeaders(request.correlationId, request.wire.wireVersion),
        'Content-Type': 'application/json',
        'Idempotency-Key': request.idempotencyKey,
      },
      body: JSON.stringify(request.wire.body),
      signal: request.signal,
    });
    if (outcome.kind === 'failure') throw classifyNetworkFailure(outcome.failure, this.name);

    const { answer } = outcome;
    const error = classifyHttpAnswer(answer, this.name, this.config.answers);
    if (error) throw error;
    return this.receiptOf(answer, request);
  }

  /**
   * Reads a 2xx by the destination's documented success and refusal shapes. A 2xx is evidence, not truth: a refusal
   * in the body is a refusal, and an answer that echoes another key or other values than we sent, or names no
   * believable reference, is someone else's answer or no answer — the outcome is unknown and resolved by lookup.
   */
  private receiptOf(answer: HttpAnswer, request: SendRequest): SendReceipt {
    const { answers } = this.config;
    const providerCode = String(answer.status);
    if (answer.body === null || typeof answer.body !== 'object' || Array.isArray(answer.body)) {
      throw new AmbiguousOutcomeError(
        `${this.name} answered ${answer.status} without a JSON object: applied, perhaps, but nothing says so`,
        { providerCode },
      );
    }
    const outcome = stringField(answer.body, answers.outcomeField);
    if (
      outcome !== undefined &&
      answers.rejectedOutcomes.some((v) => v.toLowerCase() === outcome.toLowerCase())
    ) {
      const code = boundedText(stringField(answer.body, answers.rejectionCodeField) ?? outcome, 120);
      const reason = stringField(answer.body, answers.rejectionReasonField);
      throw new ValidationError(
        [
          {
            path: 'response',
            rule: `${this.name} refused it (${answers.outcomeField} ${boundedText(outcome, 40)}): ${code}${reason === undefined ? '' : ` — ${boundedText(reason, 300)}`}`,
          },
        ],
        { sent: true, providerCode: `${answer.status} ${code}` },
      );
    }
    const echoedKey = fieldOf(answer.body, answers.keyField);
    if (echoedKey !== undefined && echoedKey !== request.idempotencyKey) {
      throw new AmbiguousOutcomeError(
        `${this.name} answered ${answer.status} for another idempotency key (${describeEcho(echoedKey)}): the answer is not ours`,
        { providerCode },
      );
    }
    for (const path of answers.echoedFields) {
      const echoed = pathOf(answer.body, path);
      const sent = pathOf(request.wire.body, path);
      if (echoed !== undefined && sent !== undefined && !sameValue(echoed, sent)) {
        throw new AmbiguousOutcomeError(
          `${this.name} answered ${answer.status} echoing ${path} ${describeEcho(echoed)}, not what was sent: the answer is not ours`,
          { providerCode },
        );
      }
    }
    const rawRef = fieldOf(answer.body, answers.referenceField);
    const providerRef = plausibleProviderRef(rawRef);
    if (providerRef === undefined) {
      throw new AmbiguousOutcomeError(
        rawRef === undefined
          ? `${this.name} answered ${answer.status} without a ${answers.referenceField}: applied, most likely, but with no reference to record`
          : `${this.name} answered ${answer.status} with a ${answers.referenceField} that is no reference (${describeEcho(rawRef)})`,
        { providerCode },
      );
    }
    return { providerRef, providerCode, replayed: answer.headers['idempotent-replayed'] === 'true' };
  }

  /**
   * Asks the destination whether a posting exists: by provider ref when one is known, else (or when that 404s) by
   * idempotency key. Never throws for an HTTP or network failure: those are `inconclusive`.
   */
  async lookup(query: LookupQuery): Promise<UnknownLookupResult> {
    const { path } = this.config.lookup;
    const headers = this.readHeaders(query.correlationId);

    if (query.providerRef !== null) {
      const byRef = await this.exchange({
        method: 'GET',
        path: `${path}/${encodeURIComponent(query.providerRef)}`,
        headers,
        signal: query.signal,
      });
      if (byRef.kind === 'failure') {
        return {
          kind: 'inconclusive',
          reason: `lookup of ${query.providerRef} failed (${describeFailure(byRef.failure)})`,
        };
      }
      const { status, body } = byRef.answer;
      const { referenceField, keyField } = this.config.answers;
      if (status === 200) {
        const ref = plausibleProviderRef(fieldOf(body, referenceField));
        const key = stringField(body, keyField);
        if (ref === undefined) {
          return {
            kind: 'inconclusive',
            reason: `lookup of ${query.providerRef} answered 200 without a usable ${referenceField}`,
          };
        }
        // A posting of another business action under the reference we hold: that reference is not ours to keep, so
        // the key alone decides (below).
        if (key === undefined || key === query.idempotencyKey) return { kind: 'found', providerRef: ref };
      } else if (status !== 404) {
        return {
          kind: 'inconclusive',
          reason: `lookup of ${query.providerRef} answered ${providerCodeOf(byRef.answer)}`,
        };
      }
    }

    const byKey = await this.exchange({
      method: 'GET',
      path,
      params: { idempotency_key: query.idempotencyKey },
      headers,
      signal: query.signal,
    });
    if (byKey.kind === 'failure') {
      return {
        kind: 'inconclusive',
        reason: `lookup by idempotency key failed (${describeFailure(byKey.failure)})`,
      };
    }
    const { status, body } = byKey.answer;
    const postings = status === 200 ? fieldOf(body, 'data') : undefined;
    // Only the core's own JSON 404 says "no such posting": a gateway's 404 page says nothing about the core.
    if ((status === 404 && body !== undefined) || (Array.isArray(postings) && postings.length === 0))
      return { kind: 'not_found' };
    if (!Array.isArray(postings)) {
      return {
        kind: 'inconclusive',
        reason: `lookup by idempotency key answered ${providerCodeOf(byKey.answer)} without a data array`,
      };
    }
    // A core that ignored the filter would list everyone's postings, and the first would be taken for ours.
    const foreign = postings.find((p) => {
      const key = stringField(p, this.config.answers.keyField);
      return key !== undefined && key !== query.idempotencyKey;
    });
    if (foreign !== undefined) {
      return {
        kind: 'inconclusive',
        reason: `lookup by idempotency key listed postings of other keys (is lookup.path ${path} right?)`,
      };
    }
    const refs = postings.map((p) => plausibleProviderRef(fieldOf(p, this.config.answers.referenceField)));
    const first = refs[0];
    if (first === undefined) {
      return {
        kind: 'inconclusive',
        reason: `lookup by idempotency key listed a posting without a usable ${this.config.answers.referenceField}`,
      };
    }
    if (postings.length > 1) {
      this.logger.warn(
        {
          destination: this.name,
          idempotencyKey: query.idempotencyKey,
          postings: postings.length,
          providerRefs: refs,
        },
        'several postings under one idempotency key: a duplicate was made outside this ledger',
      );
    }
    return { kind: 'found', providerRef: first };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    const { healthPath } = this.config;
    const outcome = await this.exchange({
      method: 'GET',
      path: healthPath,
      headers: this.readHeaders(),
      signal,
    });
    if (outcome.kind === 'failure') {
      throw new Error(
        `${this.name} health probe GET ${healthPath} failed (${describeFailure(outcome.failure)})`,
      );
    }
    const { status } = outcome.answer;
    if (status < 200 || status >= 300) {
      throw new Error(
        `${this.name} health probe GET ${healthPath} answered ${providerCodeOf(outcome.answer)}`,
      );
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Requests still waiting for a token fail as unsent; then the sockets go.
      if (this.limiter) {
        await this.limiter.stop({ dropWaitingJobs: true });
        await this.limiter.disconnect();
      }
      this.agent.destroy();
    })();
    return this.closing;
  }

  /** Refuses, before anything is sent, a wire message this destination must not receive. */
  private checkWire(wire: WireMessage): { method: string; path: string } {
    const target = TARGET.exec(wire.target);
    const problems = [
      ...(wire.kind === 'json'
        ? []
        : [{ path: 'mapping.kind', rule: `must be json for a REST destination, not ${wire.kind}` }]),
      ...(target
        ? []
        : [
            {
              path: 'mapping.target',
              rule: `must be "METHOD /path" with POST, PUT, PATCH or DELETE, not "${wire.target}"`,
            },
          ]),
      // The API version is pinned per destination: a mapping cannot move a bank's core to another version.
      ...(this.config.apiVersions.includes(wire.wireVersion)
        ? []
        : [
            {
              path: 'mapping.wireVersion',
              rule: `must be an API version ${this.name} is pinned to (${this.config.apiVersions.join(', ')}), not ${wire.wireVersion}`,
            },
          ]),
    ];
    if (!target || problems.length > 0) throw new ValidationError(problems, { sent: false });
    return { method: target[1], path: target[2] };
  }

  /** Headers of every request; reads pin the first API version. */
  private readHeaders(
    correlationId?: string,
    apiVersion = this.config.apiVersions[0],
  ): Record<string, string> {
    return {
      // Auth first, so a configured header can never replace the protocol headers below.
      ...this.auth,
      Accept: 'application/json',
      'Api-Version': apiVersion,
      ...(correlationId === undefined ? {} : { 'X-Correlation-Id': correlationId }),
    };
  }

  /** Waits for a rate-limiter token; resolves with a failure instead when the wait was cut short. */
  private async acquireSlot(signal: AbortSignal | undefined): Promise<NetworkFailure | undefined> {
    if (this.closing) return { code: undefined, message: `${this.name} is closed`, connected: false };
    if (signal?.aborted) return { code: 'ABORT_ERR', message: 'aborted before sending', connected: false };
    if (!this.limiter) return undefined;
    const limiter = this.limiter;
    return new Promise((resolve) => {
      const onAbort = (): void =>
        resolve({
          code: 'ABORT_ERR',
          message: 'aborted while waiting for the rate limiter',
          connected: false,
        });
      signal?.addEventListener('abort', onAbort, { once: true });
      // An abandoned wait still spends its token when its turn comes: Bottleneck cannot withdraw a queued job.
      void limiter
        .schedule(() => Promise.resolve())
        .then(
          () => resolve(undefined),
          (error: unknown) =>
            resolve({ code: undefined, message: `rate limiter: ${String(error)}`, connected: false }),
        )
        .finally(() => signal?.removeEventListener('abort', onAbort));
    });
  }

  /** One HTTP exchange with the destination, timed from dispatch (after the limiter), never throwing. */
  private async exchange(request: ExchangeRequest): Promise<Exchange> {
    const unavailable = await this.acquireSlot(request.signal);
    if (unavailable) return { kind: 'failure', failure: unavailable };

    const call = new WatchedCall({ secure: this.secure, ...this.config.timeouts }, request.signal);
    try {
      const response = await this.http.request<unknown>({
        method: request.method,
        url: request.path,
        headers: request.headers,
        params: request.params,
        data: request.body,
        signal: call.signal,
        transport: call.transport,
      });
      return {
        kind: 'answer',
        answer: {
          status: response.status,
          statusText: response.statusText,
          headers: plainHeaders(response.headers),
          body: parseJson(response.data),
        },
      };
    } catch (error) {
      return { kind: 'failure', failure: call.failureOf(error) };
    } finally {
      call.dispose();
    }
  }
}

/**
 * A token bucket of `burst` tokens refilled at `requestsPerSecond`. Bottleneck refills only on its heartbeat
 * (250 ms unless told, an option its typings omit), and only once a whole refill interval has passed by
 * `Date.now()` — which a timer can miss by a millisecond, skipping a refill. So the heartbeat beats once per token
 * and the interval gate sits below it: every beat adds one token and the beat sets the pace.
 */
function tokenBucket(requestsPerSecond: number, burst: number): Bottleneck {
  const beatMs = Math.ceil(1_000 / requestsPerSecond);
  const options: Bottleneck.ConstructorOptions & { heartbeatInterval: number } = {
    reservoir: burst,
    reservoirIncreaseMaximum: burst,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: beatMs / 2,
    heartbeatInterval: beatMs,
  };
  return new Bottleneck(options);
}
