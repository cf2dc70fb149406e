import {
  context,
  createContextKey,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { failSpan, injectTraceHeaders } from './tracing';

/**
 * Outgoing HTTP: every call another system (a core, a provider, another Closeout service) receives carries the W3C
 * `traceparent` / `tracestate` of a CLIENT span around it, so the callee's spans and logs join the case's trace.
 *
 * Attributes per the OpenTelemetry HTTP client conventions: `http.request.method`, `url.full` (scheme, host, port and
 * path only: no user info, query string or fragment, and with `urlTemplate` the template instead of the path, whose
 * segments may be tokens' hashes or ids), `url.template`, `server.address`, `server.port`,
 * `http.response.status_code`, `error.type`. Never a header, a body or a query value.
 */

/** The context key marking the active span as a CLIENT span around one call to another system. */
const CALL_SPAN = createContextKey('closeout.client-call-span');

export interface HttpClientRequest {
  method: string;
  /** Where the request goes (absolute); only its origin and path are recorded. */
  url: string | URL;
  /** The path as a template (`/v1/cases/{caseId}/eligible-actions`): recorded instead of the path, and names the span. */
  urlTemplate?: string;
  /** The span's name; default `<METHOD> <urlTemplate>` or `<METHOD>` (the conventions' names). */
  name?: string;
  /** More attributes (`closeout.*`): never personal data, tokens or payload values. */
  attributes?: Attributes;
}

/** One outgoing HTTP call in its CLIENT span: the headers to send, and how it ended. */
export interface HttpClientCall {
  /** `traceparent` (and `tracestate`) of the call's CLIENT span: send these with the request. */
  readonly headers: Record<string, string>;
  /**
   * An answer came (its status, when the caller knows it): recorded; a span of its own ends, as an error from 400 on
   * (the conventions' rule for a client).
   */
  answered(status?: number): void;
  /** No answer (refused, reset, timed out, aborted): recorded as the error's type; a span of its own ends. */
  failed(error: unknown): void;
}

/** The origin and path of `url` (or `urlTemplate` for the path): what `url.full` may say. */
export function safeUrl(url: string | URL, urlTemplate?: string): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const safe = new URL(`${parsed.protocol}//${parsed.host}`);
  safe.pathname = urlTemplate ?? parsed.pathname;
  return safe;
}

function requestAttributes(request: HttpClientRequest): Attributes {
  const method = request.method.toUpperCase();
  const url = safeUrl(request.url, request.urlTemplate);
  const port = url ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : undefined;
  return {
    'http.request.method': method,
    ...(url
      ? {
          // A template's braces are kept as written, not percent-encoded.
          'url.full': `${url.origin}${request.urlTemplate ?? url.pathname}`,
          'server.address': url.hostname,
          'server.port': port,
        }
      : {}),
    ...(request.urlTemplate ? { 'url.template': request.urlTemplate } : {}),
    ...request.attributes,
  };
}

/** The error's code (`ECONNREFUSED`, `ETIMEDOUT`, `ABORT_ERR`) or class: never its message, which may quote the URL. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/**
 * Opens the CLIENT span of one outgoing HTTP call under the active context and gives the headers to send. When the
 * active span is itself a CLIENT span around a call to another system (`withClientSpan`: the writeback worker's call
 * to a core), no other span is opened: the request carries that span's context and its `http.*` attributes are
 * recorded on it, and how the call ended stays that span's owner's to say.
 */
export function startHttpClientCall(
  request: HttpClientRequest,
  parent: Context = context.active(),
): HttpClientCall {
  const attributes = requestAttributes(request);
  const enclosing = parent.getValue(CALL_SPAN) as Span | undefined;
  if (enclosing !== undefined && trace.getSpan(parent) === enclosing) {
    enclosing.setAttributes(attributes);
    return {
      headers: injectTraceHeaders({}, parent),
      answered: (status) => {
        if (status !== undefined) enclosing.setAttribute('http.response.status_code', status);
      },
      failed: (error) => enclosing.setAttribute('error.type', errorTypeOf(error)),
    };
  }
  const method = String(attributes['http.request.method']);
  const name = request.name ?? (request.urlTemplate ? `${method} ${request.urlTemplate}` : method);
  const span = trace.getTracer('closeout').startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    span.end();
  };
  return {
    headers: injectTraceHeaders({}, trace.setSpan(parent, span)),
    answered: (status) => {
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (status !== undefined && status >= 400) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      end();
    },
    failed: (error) => {
      span.setAttribute('error.type', errorTypeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorTypeOf(error) });
      end();
    },
  };
}

/**
 * Runs one outgoing HTTP call (`node:http`, `fetch`) in its CLIENT span: `send` gets the trace headers to add to the
 * request; the answer's status (`statusOf`) is recorded, a throw is recorded as the call's failure and rethrown.
 */
export async function httpClientSpan<T>(
  request: HttpClientRequest,
  send: (traceHeaders: Record<string, string>) => Promise<T>,
  statusOf: (result: T) => number | undefined = () => undefined,
): Promise<T> {
  const call = startHttpClientCall(request);
  let result: T;
  try {
    result = await send(call.headers);
  } catch (error) {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status > 0) call.answered(status);
    else call.failed(error);
    throw error;
  }
  call.answered(statusOf(result));
  return result;
}

/**
 * Runs `fn` in a CLIENT span around a call to another system that may take more than one HTTP request (a write, a
 * lookup by reference then by key): the requests made directly inside it carry this span's `traceparent` and record
 * their `http.*` attributes on it instead of opening CLIENT spans of their own. A throw ends it as an error.
 */
export async function withClientSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T>,
  options: { attributes?: Attributes } = {},
): Promise<T> {
  return trace
    .getTracer('closeout')
    .startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: options.attributes }, async (span) => {
      const ctx = context.active().setValue(CALL_SPAN, span);
      try {
        return await context.with(ctx, () => fn(span));
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
}

const axiosCalls = new WeakMap<InternalAxiosRequestConfig, HttpClientCall>();

/**
 * Every request of an axios instance in a CLIENT span under the context it was made in (or the enclosing
 * `withClientSpan`'s), with `traceparent` / `tracestate` added to its headers. `urlTemplate` names a request's path
 * template where the path carries ids (`/Accounts/{AccountSid}/Messages.json`).
 */
export function traceAxios(
  instance: AxiosInstance,
  options: { urlTemplate?: (config: InternalAxiosRequestConfig) => string | undefined } = {},
): AxiosInstance {
  instance.interceptors.request.use((config) => {
    const template = options.urlTemplate?.(config);
    const call = startHttpClientCall({
      method: config.method ?? 'GET',
      url: instance.getUri(config),
      ...(template ? { urlTemplate: template } : {}),
    });
    for (const [name, value] of Object.entries(call.headers)) config.headers.set(name, value);
    axiosCalls.set(config, call);
    return config;
  });
  instance.interceptors.response.use(
    (response: AxiosResponse) => {
      axiosCalls.get(response.config)?.answered(response.status);
      return response;
    },
    (error: AxiosError) => {
      const call = error.config ? axiosCalls.get(error.config) : undefined;
      if (error.response) call?.answered(error.response.status);
      else call?.failed(error);
      return Promise.reject(error);
    },
  );
  return instance;
}
