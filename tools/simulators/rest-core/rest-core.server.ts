/**
 * TEST DOUBLE — the simulated REST core banking system. It stands in for a bank's system of record in tests and
 * demos so Closeout's writeback path can be driven through every failure a real core produces. Not production code.
 *
 * Behaves like a real core's REST API: pinned `Api-Version`, Stripe-style `Idempotency-Key` (replay on same body,
 * 422 on a different one), field-level validation errors, an append-only posting journal with lookup and list
 * endpoints for reconciliation, and fault injection for everything between "posted" and "not posted".
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BodyTooLarge,
  canonicalJson,
  faultControls,
  handleSimAdmin,
  PendingTimers,
  readBody,
  sendGatewayPage,
  sendJson,
  startSimulatorServer,
  type SimulatedCoreControls,
} from '@closeout/simulators/shared';
import { FaultBook, faultRuleSchema, type FaultRule } from './faults';
import { PostingJournal, type JournalEntry } from './journal';
import { StatsRecorder, type RestCoreStats, type WriteOutcome } from './stats';
import {
  DEFAULT_ACCEPTED_API_VERSIONS,
  isResource,
  RESOURCES,
  validateWrite,
  type Resource,
} from './wire-schemas';

export interface RestCoreOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Mirror the journal to this JSONL file; an existing file is loaded, so postings survive a restart. */
  journalFile?: string;
  /** Values of the `Api-Version` header the core accepts; each must be one the simulator has schemas for. */
  acceptedApiVersions?: readonly string[];
  /** Faults active from the start (same shape as `POST /_sim/faults`). */
  faults?: FaultRule[];
  /** Default answer delay of `slow_commit`. */
  slowCommitMs?: number;
  /** Default `Retry-After` of `rate_limited`. */
  retryAfterSeconds?: number;
  /** Random source for rate-based faults (seed it for reproducible runs). */
  random?: () => number;
  now?: () => number;
  /** One line per request, e.g. to stdout from the CLI. */
  log?: (line: string) => void;
}

export interface RestCore extends SimulatedCoreControls<JournalEntry, RestCoreStats, FaultRule> {
  url: string;
  port: number;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The posted amount in minor units, where the write carries one (payments, arrangements), for extracts. */
function amountOf(body: unknown): { amount_minor: number | null; currency: string | null } {
  const amount =
    body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['amount'] : undefined;
  if (amount !== null && typeof amount === 'object') {
    const a = amount as Record<string, unknown>;
    if (typeof a['value_minor'] === 'number' && typeof a['currency'] === 'string')
      return { amount_minor: a['value_minor'], currency: a['currency'] };
  }
  return { amount_minor: null, currency: null };
}

function toPosting(e: JournalEntry): Record<string, unknown> {
  return {
    ...amountOf(e.body),
    transaction_id: e.transactionId,
    sequence: e.sequence,
    operation: e.operation,
    idempotency_key: e.idempotencyKey,
    api_version: e.apiVersion,
    status: 'posted',
    request: e.body,
    received_at: e.receivedAt,
    committed_at: e.committedAt,
  };
}

/** The reconciliation reads: a posting by transaction id, postings by idempotency key, and the paged extract. */
function answerReport(
  res: ServerResponse,
  url: URL,
  journal: PostingJournal,
  faults: FaultBook,
  now: () => number,
): void {
  // A lagging replica answers lookups: postings younger than the lag are not there yet.
  const lagMs = faults.replicaLagMs();
  const visible = (e: JournalEntry | undefined): e is JournalEntry =>
    e !== undefined && (lagMs === 0 || Date.parse(e.committedAt) <= now() - lagMs);
  const byId = /^\/api\/postings\/([^/]+)$/.exec(url.pathname);
  if (byId) {
    const found = journal.byTransactionId(decodeURIComponent(byId[1]!));
    const entry = visible(found) ? found : undefined;
    return entry
      ? sendJson(res, 200, toPosting(entry))
      : sendJson(res, 404, { error: 'not_found', message: `no posting with transaction id ${byId[1]}` });
  }
  const key = url.searchParams.get('idempotency_key');
  if (key !== null) {
    const entries = journal.byIdempotencyKey(key).filter(visible);
    return entries.length > 0
      ? sendJson(res, 200, { data: entries.map(toPosting) })
      : sendJson(res, 404, { error: 'not_found', message: `no posting with idempotency key ${key}` });
  }
  const since = Number(url.searchParams.get('since') ?? '0');
  const limit = Number(url.searchParams.get('limit') ?? '100');
  // The reconciliation extract: postings committed within [posted_from, posted_to), ISO 8601 instants.
  const instant = (name: string): number | null | 'invalid' => {
    const text = url.searchParams.get(name);
    if (text === null) return null;
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? 'invalid' : ms;
  };
  const postedFrom = instant('posted_from');
  const postedTo = instant('posted_to');
  const errors = [
    ...(Number.isSafeInteger(since) && since >= 0
      ? []
      : [{ field: 'since', rule: 'must be an integer ≥ 0' }]),
    ...(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000
      ? []
      : [{ field: 'limit', rule: 'must be an integer from 1 to 1000' }]),
    ...(postedFrom === 'invalid' ? [{ field: 'posted_from', rule: 'must be an ISO 8601 instant' }] : []),
    ...(postedTo === 'invalid' ? [{ field: 'posted_to', rule: 'must be an ISO 8601 instant' }] : []),
  ];
  if (errors.length > 0) return sendJson(res, 400, { error: 'invalid_parameter', errors });
  const page = journal.since(since, limit, (e) => {
    const at = Date.parse(e.committedAt);
    return (
      (typeof postedFrom !== 'number' || at >= postedFrom) && (typeof postedTo !== 'number' || at < postedTo)
    );
  });
  sendJson(res, 200, {
    data: page.entries.map(toPosting),
    has_more: page.hasMore,
    next_since: page.entries.at(-1)?.sequence ?? since,
  });
}

export async function startRestCore(options: RestCoreOptions = {}): Promise<RestCore> {
  const now = options.now ?? Date.now;
  const acceptedVersions = [...(options.acceptedApiVersions ?? DEFAULT_ACCEPTED_API_VERSIONS)];
  const unknownVersions = acceptedVersions.filter(
    (v) => !(DEFAULT_ACCEPTED_API_VERSIONS as readonly string[]).includes(v),
  );
  if (unknownVersions.length > 0) {
    throw new Error(
      `rest-core: no schemas for API version(s) ${unknownVersions.join(', ')}; known: ${DEFAULT_ACCEPTED_API_VERSIONS.join(', ')}`,
    );
  }
  const slowCommitMs = options.slowCommitMs ?? 2_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const log = options.log ?? (() => undefined);

  const journal = new PostingJournal(options.journalFile);
  const stats = new StatsRecorder();
  const faults = new FaultBook(options.random ?? Math.random);
  faults.add(...(options.faults ?? []));

  /** Keys whose first write is still being committed (`in_progress`): later writes under them get a 409. */
  const inProgress = new Set<string>();

  /** The original posting of each honoured idempotency key: what a replay answers with. */
  const originals = new Map<string, JournalEntry>();
  for (const entry of journal.all()) {
    stats.posted(entry.idempotencyKey);
    if (
      entry.idempotencyKey !== null &&
      entry.idempotencyKeyHonoured &&
      !originals.has(entry.idempotencyKey)
    ) {
      originals.set(entry.idempotencyKey, entry);
    }
  }

  const timers = new PendingTimers();
  const later = (ms: number, fn: () => void): void => timers.later(ms, fn);

  async function handleWrite(
    req: IncomingMessage,
    res: ServerResponse,
    resource: Resource,
    path: string,
  ): Promise<void> {
    const receivedAt = now();
    const rawKey = req.headers['idempotency-key'];
    const key = typeof rawKey === 'string' ? rawKey : null;
    const apiVersion = req.headers['api-version'];
    let outcome: WriteOutcome | undefined;
    res.on('close', () =>
      log(
        `POST ${path} key=${key ?? '-'} → ${res.headersSent ? res.statusCode : 'no answer'} ${outcome ?? ''}`,
      ),
    );
    const finish = (
      o: WriteOutcome,
      status: number,
      body: unknown,
      headers: Record<string, string> = {},
    ): void => {
      outcome = o;
      stats.outcome(o);
      sendJson(res, status, body, headers);
    };

    const raw = await readBody(req, MAX_BODY_BYTES);
    stats.arrived(key, receivedAt);
    if (typeof apiVersion !== 'string' || !acceptedVersions.includes(apiVersion)) {
      return finish('unsupported_api_version', 400, {
        error: 'unsupported_api_version',
        message:
          typeof apiVersion === 'string'
            ? `Api-Version "${apiVersion}" is not supported`
            : 'requests must pin an API version with the Api-Version header',
        accepted_versions: acceptedVersions,
      });
    }
    if (key !== null && (key.length === 0 || key.length > 255)) {
      return finish('invalid_idempotency_key', 400, {
        error: 'invalid_idempotency_key',
        message: 'Idempotency-Key must be 1–255 characters',
      });
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      return finish('unsupported_media_type', 415, {
        error: 'unsupported_media_type',
        message: 'Content-Type must be application/json',
      });
    }

    const ctx = { path, idempotencyKey: key };
    if (key !== null && inProgress.has(key)) {
      return finish(
        'in_progress',
        409,
        {
          error: 'idempotency_key_in_use',
          message: `a request with Idempotency-Key "${key}" is still being processed`,
        },
        { 'Retry-After': '1' },
      );
    }
    if (faults.failAll(ctx)) {
      stats.fault('fail_all');
      return finish('fail_all', 503, { error: 'service_unavailable', message: 'the core is unavailable' });
    }
    const fault = faults.pick(ctx);
    switch (fault?.mode) {
      case 'error_5xx':
        stats.fault('error_5xx');
        return finish('error_5xx', fault.status ?? 500, {
          error: 'internal_error',
          message: 'simulated failure before commit: nothing was posted',
        });
      case 'connection_reset':
        stats.fault('connection_reset');
        outcome = 'connection_reset';
        stats.outcome('connection_reset');
        req.socket.destroy();
        return;
      case 'rate_limited': {
        stats.fault('rate_limited');
        const seconds = fault.retryAfterSeconds ?? retryAfterSeconds;
        stats.toldToWait(key, receivedAt + seconds * 1000);
        return finish(
          'rate_limited',
          429,
          { error: 'rate_limited', message: `too many requests: retry after ${seconds} s` },
          { 'Retry-After': String(seconds) },
        );
      }
      case 'invalid_4xx':
        stats.fault('invalid_4xx');
        stats.rejectedAsInvalid(key);
        return finish('validation_failed', fault.status ?? 422, {
          error: 'validation_failed',
          message: 'the request is invalid',
          errors: [{ field: '(body)', rule: 'rejected by simulated fault invalid_4xx' }],
        });
      case 'reject_2xx':
        stats.fault('reject_2xx');
        // A refusal like any 4xx: a client that sends it again has retried a validation failure.
        stats.rejectedAsInvalid(key);
        return finish('rejected_in_2xx', 200, {
          status: 'REJECTED',
          error: 'insufficient_funds',
          message: 'the account cannot cover this payment',
        });
      case 'huge_error':
        stats.fault('huge_error');
        return finish('huge_error', 500, {
          error: 'x'.repeat(fault.sizeBytes ?? 5 * 1024 * 1024),
          message: 'simulated failure before commit with an enormous body: nothing was posted',
        });
      case 'in_progress':
        if (key !== null) {
          // The first write holds its key while it commits; the commit below happens after the wait.
          stats.fault('in_progress');
          inProgress.add(key);
          await new Promise<void>((resolve) => later(fault.delayMs ?? slowCommitMs, resolve));
          inProgress.delete(key);
        }
        break;
      case 'slow_commit':
      case 'commit_then_timeout':
      case 'foreign_answer':
      case 'gateway_page':
      case undefined:
        // Post-commit faults shape the answer below; no fault: carry on.
        break;
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      stats.rejectedAsInvalid(key);
      return finish('invalid_json', 400, {
        error: 'invalid_json',
        message: `body is not JSON: ${String(error)}`,
      });
    }

    const requestHash = createHash('sha256')
      .update(`POST ${path}\n${canonicalJson(body)}`)
      .digest('hex');
    const honourKey = key !== null && !faults.ignoresIdempotencyKey(ctx);
    if (key !== null && !honourKey) stats.fault('ignore_idempotency_key');

    let entry: JournalEntry;
    let replayed = false;
    const original = honourKey ? originals.get(key) : undefined;
    if (original) {
      if (original.requestHash !== requestHash) {
        return finish('idempotency_key_reused', 422, {
          error: 'idempotency_key_reused',
          message: `Idempotency-Key "${key}" was already used with a different request (transaction ${original.transactionId})`,
        });
      }
      entry = original;
      replayed = true;
    } else {
      const errors = validateWrite(resource, apiVersion, body);
      if (errors.length > 0) {
        stats.rejectedAsInvalid(key);
        return finish('validation_failed', 422, {
          error: 'validation_failed',
          message: errors.map((e) => `${e.field}: ${e.rule}`).join('; '),
          errors,
        });
      }
      const sequence = journal.nextSequence;
      const transactionId = `${RESOURCES[resource].refPrefix}_${String(sequence).padStart(8, '0')}`;
      const committedAt = new Date(now()).toISOString();
      entry = journal.append({
        sequence,
        transactionId,
        idempotencyKey: key,
        idempotencyKeyHonoured: honourKey,
        operation: RESOURCES[resource].operation,
        method: 'POST',
        path,
        apiVersion,
        body,
        requestHash,
        ...(typeof req.headers.traceparent === 'string' ? { traceparent: req.headers.traceparent } : {}),
        receivedAt: new Date(receivedAt).toISOString(),
        committedAt,
        response: {
          status: 201,
          body: {
            transaction_id: transactionId,
            status: 'posted',
            operation: RESOURCES[resource].operation,
            idempotency_key: key,
            created_at: committedAt,
          },
        },
      });
      if (honourKey) originals.set(key, entry);
      stats.posted(key);
    }

    const answer = (): void =>
      finish(replayed ? 'replayed' : 'created', entry.response.status, entry.response.body, {
        Location: `/api/postings/${entry.transactionId}`,
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      });
    switch (fault?.mode) {
      case 'slow_commit':
        stats.fault('slow_commit');
        later(fault.delayMs ?? slowCommitMs, answer);
        return;
      case 'foreign_answer': {
        // Another posting's answer, as a proxy that mixed up two exchanges would deliver it.
        const other = journal.all().findLast((e) => e.sequence !== entry.sequence);
        stats.fault('foreign_answer');
        if (other === undefined) return answer();
        return finish(replayed ? 'replayed' : 'created', other.response.status, other.response.body, {
          Location: `/api/postings/${other.transactionId}`,
        });
      }
      case 'gateway_page': {
        stats.fault('gateway_page');
        outcome = 'gateway_page';
        stats.outcome('gateway_page');
        sendGatewayPage(res);
        return;
      }
      case 'in_progress':
        answer();
        return;
      case 'commit_then_timeout': {
        stats.fault('commit_then_timeout');
        outcome = replayed ? 'replayed' : 'created';
        stats.outcome(outcome);
        const drop = (): void => void req.socket.destroy();
        if ((fault.delayMs ?? 0) === 0) drop();
        else later(fault.delayMs ?? 0, drop);
        return;
      }
      case undefined:
        answer();
    }
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const handled = await handleSimAdmin(
      {
        journal: () => journal.all(),
        stats: () => stats.snapshot(),
        faults,
        parseRule: (candidate) => faultRuleSchema.parse(candidate),
        send: sendJson,
        readText: async (r) => (await readBody(r, MAX_BODY_BYTES)).toString('utf8'),
      },
      req,
      res,
      path,
    );
    if (!handled) sendJson(res, 404, { error: 'not_found' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rest-core.local');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    res.setHeader('X-Request-Id', randomUUID());

    if (path === '/health' && method === 'GET') {
      return faults.failAll(null, false)
        ? sendJson(res, 503, { status: 'unavailable' })
        : sendJson(res, 200, { status: 'ok', postings: journal.all().length });
    }
    if (path.startsWith('/_sim/')) return handleAdmin(req, res, path);

    const writeMatch = /^\/api\/([a-z]+)$/.exec(path);
    if (writeMatch && isResource(writeMatch[1]!)) {
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
      return handleWrite(req, res, writeMatch[1], path);
    }
    if (path === '/api/postings' || path.startsWith('/api/postings/')) {
      if (method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET' });
      const apiVersion = req.headers['api-version'];
      if (typeof apiVersion !== 'string' || !acceptedVersions.includes(apiVersion)) {
        return sendJson(res, 400, {
          error: 'unsupported_api_version',
          message: 'requests must pin a supported API version with the Api-Version header',
          accepted_versions: acceptedVersions,
        });
      }
      return answerReport(res, url, journal, faults, now);
    }
    return sendJson(res, 404, { error: 'not_found', message: `no route for ${method} ${path}` });
  }

  const sim = await startSimulatorServer(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge) return sendJson(res, 413, { error: 'payload_too_large' });
        log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
        sendJson(res, 500, { error: 'simulator_bug', message: String(error) });
      });
    },
    { port: options.port, host: options.host, timers },
  );

  return {
    url: sim.baseUrl,
    port: sim.port,
    journal: () => journal.all(),
    stats: () => stats.snapshot(),
    ...faultControls(faults),
    close: sim.close,
  };
}
