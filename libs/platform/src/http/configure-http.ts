import type { ApiTokenEntry } from '@closeout/config';
import { DomainError, type DomainErrorStatuses } from '@closeout/errors';
import {
  Catch,
  HttpException,
  HttpStatus,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  type Provider,
  UnauthorizedException,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { createLogger, httpServerSpans } from '@closeout/telemetry';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BearerAuth, hasPrincipal } from './bearer-auth';
import { closeAfterAnswer } from './close-after-answer';

/** A service's HTTP settings: who may call its protected routes and how large a body may be. */
export interface HttpOptions {
  /** Token entries for the protected prefixes; without them nothing is protected. */
  tokens?: readonly ApiTokenEntry[];
  /** Path prefixes behind bearer authentication (e.g. ['/v1']); /health and /metrics never are. */
  protectedPrefixes?: readonly string[];
  /** JSON body limit in bytes (default 256 KiB). */
  maxBodyBytes?: number;
  /** Deepest JSON nesting accepted (default 32). */
  maxJsonDepth?: number;
  /**
   * DomainError code → status table; by default the one the application registered with
   * provideDomainErrorStatuses, if any.
   */
  errorStatuses?: DomainErrorStatuses;
  /**
   * Path prefixes whose routes read their own raw body (signed webhooks in any media type): neither the
   * application/json check nor the JSON parser touches them; the route bounds what it reads.
   */
  rawBodyPrefixes?: readonly string[];
}

export const HTTP_DEFAULTS = { maxBodyBytes: 256 * 1024, maxJsonDepth: 32 } as const;

/** Bounds on what a URL may carry, checked before routing. */
export const URL_LIMITS = {
  maxUrlLength: 4096,
  maxPathSegmentLength: 256,
  maxQueryParameters: 32,
  maxQueryValueLength: 512,
} as const;

/**
 * Node server timeouts (ms): a slow client is cut within REQUEST_TIMEOUT_MS. Node enforces the header and request
 * timeouts only when it checks its connections, every `connectionsCheckingInterval` (30 s by default, which let a
 * slowloris client hold a socket 40 s and a stalled body 60 s); checked every second, they hold to the second.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
} as const;

/** Answers a problem+json body; never quotes a request value. */
export function sendProblem(res: Response, status: number, title: string, detail?: string): void {
  if (res.headersSent) return;
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) }));
}

/** Where a JSON value breaks the rules (too deep, NUL or lone surrogate in a string or key), or undefined. */
export function findJsonViolation(
  value: unknown,
  maxDepth: number,
): { path: string; rule: string } | undefined {
  const bad = (s: string): string | undefined => {
    if (s.includes('\u0000')) return 'must not contain NUL (U+0000)';
    if (!wellFormed(s)) return 'must not contain lone surrogates';
    return undefined;
  };
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '$', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const rule = bad(v);
      if (rule) return { path, rule };
    } else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) return { path, rule: `nesting deeper than ${maxDepth}` };
      if (Array.isArray(v))
        v.forEach((item, i) => stack.push({ v: item, path: `${path}[${i}]`, depth: depth + 1 }));
      else
        for (const [i, [k, item]] of Object.entries(v).entries()) {
          const keyRule = bad(k);
          if (keyRule) return { path, rule: `keys ${keyRule}` };
          stack.push({ v: item, path: `${path}.${shownName(k, i)}`, depth: depth + 1 });
        }
    }
  }
  return undefined;
}

/** Cheap depth scan over the raw text, before JSON.parse recurses into a 10k-deep document. */
function rawDepthExceeds(buf: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

class DepthError extends Error {}

// C0 controls (NUL included) and DEL: never meaningful in an id, a filter or a path.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A key or parameter name shown as it is in a problem; any other is input, and is shown by position (`#3`). */
const SHOWN_NAME = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;
const shownName = (name: string, index: number): string => (SHOWN_NAME.test(name) ? name : `#${index + 1}`);
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** What is wrong with a request's path or query string (names the part and the rule, never the value), or undefined. */
export function findUrlViolation(req: Pick<Request, 'originalUrl' | 'query'>): string | undefined {
  const url = req.originalUrl;
  if (url.length > URL_LIMITS.maxUrlLength)
    return `url: must be at most ${URL_LIMITS.maxUrlLength} characters`;
  const path = url.split('?')[0] ?? '';
  for (const raw of path.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return 'path: malformed percent-encoding';
    }
    if (segment.length > URL_LIMITS.maxPathSegmentLength)
      return `path: a segment must be at most ${URL_LIMITS.maxPathSegmentLength} characters`;
    if (CONTROL.test(segment)) return 'path: must not contain control characters (NUL included)';
    if (!wellFormed(segment)) return 'path: must not contain lone surrogates';
  }
  const query = (req.query ?? {}) as Record<string, unknown>;
  const keys = Object.keys(query);
  if (keys.length > URL_LIMITS.maxQueryParameters)
    return `query: at most ${URL_LIMITS.maxQueryParameters} parameters`;
  for (const [i, key] of keys.entries()) {
    if (CONTROL.test(key) || key.length > 64 || !wellFormed(key))
      return 'query (parameter name): must be at most 64 printable characters';
    // A parameter the route may not even read is named by position: its name is input.
    const name = shownName(key, i);
    const values = Array.isArray(query[key]) ? (query[key] as unknown[]) : [query[key]];
    if (values.length > 1) return `query ${name}: must be given once`;
    const value = values[0];
    if (typeof value !== 'string') return `query ${name}: must be a plain value`;
    if (value.length > URL_LIMITS.maxQueryValueLength)
      return `query ${name}: must be at most ${URL_LIMITS.maxQueryValueLength} characters`;
    if (CONTROL.test(value)) return `query ${name}: must not contain control characters (NUL included)`;
    if (!wellFormed(value)) return `query ${name}: must not contain lone surrogates`;
  }
  return undefined;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
};

/** The Nest token under which a service registers its DomainError code → status table (provideDomainErrorStatuses). */
export const DOMAIN_ERROR_STATUSES = Symbol('closeout.http.domain-error-statuses');

/**
 * A service's DomainError code → `{status, title}` table, for a module's providers: configureHttp finds it in the
 * application and its ProblemDetailsFilter answers those errors with it.
 */
export function provideDomainErrorStatuses<Code extends string>(
  statuses: DomainErrorStatuses<Code>,
): Provider {
  return { provide: DOMAIN_ERROR_STATUSES, useValue: statuses };
}

function registeredStatuses(app: INestApplication): DomainErrorStatuses {
  // Looked up among the modules' providers: app.get() of a token no module provides aborts the process.
  for (const module of app.get(ModulesContainer).values()) {
    const wrapper = module.providers.get(DOMAIN_ERROR_STATUSES);
    if (wrapper?.instance) return wrapper.instance as DomainErrorStatuses;
  }
  return {};
}

/**
 * Every error a route lets escape becomes problem+json. A DomainError whose code the service registered is answered
 * with that status and title and `errors: [{field, rule}]` (its rule never quotes input); a body the application built
 * as a problem (it has a `title`) is sent as it is; any other HTTP error gets its status's title only, since framework
 * messages quote the request (`Cannot GET /…`); anything else (an unregistered DomainError too) is logged and answered
 * 500 with no detail.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly log = createLogger('http');

  constructor(private readonly statuses: DomainErrorStatuses = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const mapped = exception instanceof DomainError ? this.statuses[exception.code] : undefined;
    if (exception instanceof DomainError && mapped) {
      const { status, title } = mapped;
      const problem = exception.field
        ? { type: 'about:blank', title, status, errors: [{ field: exception.field, rule: exception.rule }] }
        : { type: 'about:blank', title, status, detail: exception.rule };
      res.status(status).type('application/problem+json').send(JSON.stringify(problem));
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'object' && body !== null && 'title' in body) {
        res
          .status(status)
          .type('application/problem+json')
          .send(JSON.stringify({ type: 'about:blank', status, ...body }));
        return;
      }
      const title = REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
      if (status === 401) res.set('WWW-Authenticate', 'Bearer');
      return sendProblem(res, status, title);
    }
    this.log.error({ err: exception }, 'request failed');
    sendProblem(res, HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error');
  }
}

/**
 * Fails closed on a controller whose routes must be authenticated: the request must have passed BearerAuth's
 * middleware (configureHttp's protected prefixes). A service started without tokens answers 401, never serves.
 */
@Injectable()
export class RequirePrincipalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (!hasPrincipal(context.switchToHttp().getRequest<Request>()))
      throw new UnauthorizedException({ title: 'Unauthorized', detail: 'a valid bearer token is required' });
    return true;
  }
}

/**
 * Hardens a Nest/Express app: no X-Powered-By, helmet's headers, bearer authentication on the protected prefixes
 * before any body is read, a strict bounded JSON parser, problem+json for every parser error, and server timeouts.
 * The app must be created with `bodyParser: false`. Call before `app.init()`/`listen()`.
 */
export function configureHttp(app: INestApplication, options: HttpOptions = {}): void {
  const maxDepth = options.maxJsonDepth ?? HTTP_DEFAULTS.maxJsonDepth;
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes;
  const express = app.getHttpAdapter().getInstance() as { disable(name: string): void };
  express.disable('x-powered-by');
  // First, so that everything answering a request (refusals included) is in its server span (docs/operations/tracing.md).
  app.use(httpServerSpans());
  app.use(helmet());
  app.useGlobalFilters(new ProblemDetailsFilter(options.errorStatuses ?? registeredStatuses(app)));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const violation = findUrlViolation(req);
    if (violation) return sendProblem(res, 400, 'Bad Request', violation);
    next();
  });
  if (options.tokens && options.tokens.length > 0) {
    const auth = new BearerAuth(options.tokens).middleware();
    for (const prefix of options.protectedPrefixes ?? []) app.use(prefix, auth);
  }
  const rawBodyPrefixes = options.rawBodyPrefixes ?? [];
  const readsRawBody = (req: Request): boolean => rawBodyPrefixes.some((p) => req.path.startsWith(p));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (readsRawBody(req)) return next();
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (!hasBody) return next();
    if (!req.is('application/json')) {
      closeAfterAnswer(res);
      return sendProblem(res, 415, 'Unsupported Media Type', 'the body must be application/json');
    }
    // Refused on the declared size, unread: the JSON parser answers its 413 only after draining the whole declared
    // body, so a client declaring 10 MB and sending 1 KB held the request until the request timeout.
    if (Number(req.headers['content-length']) > maxBodyBytes) {
      closeAfterAnswer(res);
      return sendProblem(res, 413, 'Payload Too Large', 'the body is too large');
    }
    next();
  });
  const parseJson = json({
    limit: maxBodyBytes,
    strict: true,
    type: 'application/json',
    verify: (_req, _res, buf) => {
      if (rawDepthExceeds(buf, maxDepth)) throw new DepthError();
    },
  });
  app.use((req: Request, res: Response, next: NextFunction) =>
    readsRawBody(req) ? next() : parseJson(req, res, next),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    const violation = req.body === undefined ? undefined : findJsonViolation(req.body, maxDepth);
    if (violation) return sendProblem(res, 400, 'Bad Request', `${violation.path}: ${violation.rule}`);
    next();
  });
  // Body-parser errors (invalid JSON, 413, aborted, size mismatch, charset) become problem+json 4xx.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof DepthError || (err as { type?: string })?.type === 'entity.verify.failed')
      return sendProblem(res, 400, 'Bad Request', `$: nesting deeper than ${maxDepth}`);
    const e = err as { status?: number; type?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      closeAfterAnswer(res);
      const detail =
        e.type === 'entity.parse.failed'
          ? 'the body is not valid JSON'
          : e.type === 'entity.too.large'
            ? 'the body is too large'
            : e.type === 'charset.unsupported' || e.type === 'encoding.unsupported'
              ? 'unsupported charset or encoding'
              : 'the body could not be read';
      return sendProblem(res, e.status, e.status === 413 ? 'Payload Too Large' : 'Bad Request', detail);
    }
    // Express's own final handler would answer HTML with a stack trace outside production.
    createLogger('http').error({ err }, 'request failed before routing');
    sendProblem(res, 500, 'Internal Server Error');
  });
  const server = app.getHttpServer() as Server;
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeout;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeout;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  // A constructor option in @types/node, yet read from the server when it starts listening: set before listen().
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    SERVER_TIMEOUTS.connectionsCheckingInterval;
  server.on('clientError', answerClientError);
}

/**
 * What Node's HTTP parser refuses before any route runs (malformed request line or headers, headers over the size
 * limit, a request cut by the timeouts) is answered as problem+json too, with the security headers, instead of Node's
 * bare `400 Bad Request`; the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler: answer only while no response has started on the socket.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || started) {
    socket.destroy();
    return;
  }
  const [status, title] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    detail: 'the request could not be read',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}
