/**
 * TEST DOUBLE — a simulated Splunk HTTP Event Collector with indexer acknowledgement. Not production code.
 *
 * Speaks HEC as Splunk documents it: `POST /services/collector/event` (and `/services/collector`) with
 * `Authorization: Splunk <token>`, a body of concatenated JSON event objects, a channel (`X-Splunk-Request-Channel`
 * or `?channel=`, a GUID) required because acks are on; `200 {"text":"Success","code":0,"ackId":N}` with ackIds
 * counting from 0 per channel; `POST /services/collector/ack` `{"acks":[…]}` → `{"acks":{"N":bool}}`, a true ack
 * answered once and then forgotten, as Splunk does; `GET /services/collector/health`. Errors are HEC's JSON and codes.
 * The index records every event it indexed with the Closeout event id (`fields.closeout_event_id`, else the OCSF
 * `event.metadata.uid`) so tests count events and repeats.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultBook, BodyTooLarge, readBody, sendJson, handleSimAdmin } from '@closeout/simulators/shared';
import { faultRuleSchema, type FaultRule } from './faults';

export interface IndexedEvent {
  eventId: string;
  channel: string;
  ackId: number;
  indexedAt: number;
  event: unknown;
  fields: Record<string, unknown>;
}

export interface SplunkHecStats {
  posts: number;
  eventsIndexed: number;
  uniqueEvents: number;
  repeats: number;
  answers: Record<string, number>;
  ackPolls: number;
  acksTrue: number;
  faultsInjected: Record<string, number>;
}

export interface SplunkHecOptions {
  port?: number;
  host?: string;
  /** The HEC tokens accepted. */
  tokens?: readonly string[];
  faults?: FaultRule[];
  /** Delay before an indexed batch's ack turns true (indexer replication), ms. */
  ackDelayMs?: number;
  /** Largest body accepted (413 beyond), bytes. */
  maxBodyBytes?: number;
  random?: () => number;
  log?: (line: string) => void;
}

export interface SplunkHec {
  url: string;
  port: number;
  /** Every indexed event in order (repeats included). */
  events(): readonly IndexedEvent[];
  /** Times each Closeout event id was indexed. */
  counts(): ReadonlyMap<string, number>;
  stats(): SplunkHecStats;
  faults(): FaultRule[];
  addFaults(...rules: FaultRule[]): void;
  clearFaults(): void;
  /** Closes the listener for `ms`, resetting open connections, then listens again on the same port. */
  goDown(ms: number): Promise<void>;
  isDown(): boolean;
  close(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ACKS_PER_QUERY = 10_000;

interface AckState {
  ready: boolean;
  /** Never turns true (acks_stay_false, acks_lost). */
  stuck: boolean;
}

function hecError(res: ServerResponse, status: number, code: number, text: string, extra: object = {}): void {
  sendJson(res, status, { text, code, ...extra });
}

/** Concatenated JSON objects, as HEC takes them (whitespace between them allowed). */
export function parseConcatenatedJson(body: string): unknown[] | { invalidAt: number } {
  const out: unknown[] = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /\s/.test(body[i]!)) i += 1;
    if (i >= body.length) break;
    if (body[i] !== '{') return { invalidAt: out.length };
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < body.length; j += 1) {
      const c = body[j]!;
      if (inString) {
        if (c === '\\') j += 1;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth += 1;
      else if (c === '}') {
        depth -= 1;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) return { invalidAt: out.length };
    try {
      out.push(JSON.parse(body.slice(i, j + 1)));
    } catch {
      return { invalidAt: out.length };
    }
    i = j + 1;
  }
  return out;
}

export async function startSplunkHec(options: SplunkHecOptions = {}): Promise<SplunkHec> {
  const tokens = new Set(options.tokens ?? ['00000000-0000-0000-0000-000000000000']);
  const ackDelayMs = options.ackDelayMs ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const book = new FaultBook<FaultRule, null>(
    options.random ?? Math.random,
    (c) => faultRuleSchema.parse(c),
    () => true,
  );
  book.add(...(options.faults ?? []));

  const indexed: IndexedEvent[] = [];
  const counts = new Map<string, number>();
  const channels = new Map<string, { next: number; acks: Map<number, AckState> }>();
  const timers = new Set<NodeJS.Timeout>();
  const stats: SplunkHecStats = {
    posts: 0,
    eventsIndexed: 0,
    uniqueEvents: 0,
    repeats: 0,
    answers: {},
    ackPolls: 0,
    acksTrue: 0,
    faultsInjected: {},
  };
  let down = false;
  let closed = false;

  const injected = (mode: string): void => {
    stats.faultsInjected[mode] = (stats.faultsInjected[mode] ?? 0) + 1;
  };
  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    stats.answers[String(status)] = (stats.answers[String(status)] ?? 0) + 1;
    sendJson(res, status, body, headers);
  };

  function authorised(req: IncomingMessage, res: ServerResponse): boolean {
    const auth = req.headers.authorization;
    if (!auth) {
      answer(res, 401, { text: 'Token is required', code: 2 });
      return false;
    }
    const m = /^Splunk\s+(\S+)$/.exec(auth);
    if (!m) {
      answer(res, 401, { text: 'Invalid authorization', code: 3 });
      return false;
    }
    if (book.take((mode) => mode === 'bad_token', null, true) || !tokens.has(m[1]!)) {
      injected('bad_token');
      answer(res, 403, { text: 'Invalid token', code: 4 });
      return false;
    }
    return true;
  }

  function channelOf(req: IncomingMessage, url: URL, res: ServerResponse): string | undefined {
    const channel =
      (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel');
    if (!channel) {
      answer(res, 400, { text: 'Data channel is missing', code: 10 });
      return undefined;
    }
    if (!GUID.test(channel)) {
      answer(res, 400, { text: 'Invalid data channel', code: 11 });
      return undefined;
    }
    return channel;
  }

  async function onEvent(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    stats.posts += 1;
    const downRule = book.take((m) => m === 'down', null, true);
    if (downRule) {
      injected('down');
      req.socket.destroy();
      await goDown(downRule.durationMs ?? 1000);
      return;
    }
    if (!authorised(req, res)) return;
    const channel = channelOf(req, url, res);
    if (!channel) return;
    const busy = book.take((m) => m === 'busy', null, true);
    if (busy) {
      injected('busy');
      answer(
        res,
        503,
        { text: 'Server is busy', code: 9 },
        busy.retryAfterSeconds !== undefined ? { 'Retry-After': String(busy.retryAfterSeconds) } : {},
      );
      return;
    }
    let body: string;
    try {
      body = (await readBody(req, maxBodyBytes)).toString('utf8');
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        answer(res, 413, { text: 'Content length too large', code: 27 });
        req.socket.destroy();
        return;
      }
      throw error;
    }
    const parsed = parseConcatenatedJson(body);
    if (!Array.isArray(parsed)) {
      answer(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': parsed.invalidAt });
      return;
    }
    if (parsed.length === 0) {
      answer(res, 400, { text: 'No data', code: 5 });
      return;
    }
    for (const [n, item] of parsed.entries()) {
      const e = item as { event?: unknown };
      if (!('event' in (item as object))) {
        answer(res, 400, { text: 'Event field is required', code: 12, 'invalid-event-number': n });
        return;
      }
      if (e.event === '' || e.event === null) {
        answer(res, 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': n });
        return;
      }
    }
    const state = channels.get(channel) ?? { next: 0, acks: new Map<number, AckState>() };
    channels.set(channel, state);
    const ackId = state.next;
    state.next += 1;
    const lost = book.take((m) => m === 'acks_lost', null, true);
    const stayFalse = lost ? undefined : book.take((m) => m === 'acks_stay_false', null, true);
    if (lost) {
      injected('acks_lost');
    } else {
      if (stayFalse) injected('acks_stay_false');
      const ack: AckState = { ready: false, stuck: stayFalse !== undefined };
      state.acks.set(ackId, ack);
      const now = Date.now();
      for (const item of parsed)
        index(item as { event: unknown; fields?: Record<string, unknown> }, channel, ackId, now);
      if (!ack.stuck) later(ackDelayMs, () => (ack.ready = true));
    }
    answer(res, 200, { text: 'Success', code: 0, ackId });
  }

  function index(
    item: { event: unknown; fields?: Record<string, unknown> },
    channel: string,
    ackId: number,
    at: number,
  ): void {
    const fields = item.fields ?? {};
    const fromField = fields['closeout_event_id'];
    const fromOcsf = (item.event as { metadata?: { uid?: unknown } } | undefined)?.metadata?.uid;
    const eventId = typeof fromField === 'string' ? fromField : typeof fromOcsf === 'string' ? fromOcsf : '';
    indexed.push({ eventId, channel, ackId, indexedAt: at, event: item.event, fields });
    stats.eventsIndexed += 1;
    const seen = counts.get(eventId) ?? 0;
    counts.set(eventId, seen + 1);
    if (seen === 0) stats.uniqueEvents += 1;
    else stats.repeats += 1;
  }

  async function onAck(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!authorised(req, res)) return;
    const channel = channelOf(req, url, res);
    if (!channel) return;
    let request: unknown;
    try {
      request = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8'));
    } catch {
      answer(res, 400, { text: 'Invalid data format', code: 6 });
      return;
    }
    const acks = (request as { acks?: unknown }).acks;
    if (
      !Array.isArray(acks) ||
      acks.length > MAX_ACKS_PER_QUERY ||
      !acks.every((a) => Number.isInteger(a) && a >= 0)
    ) {
      answer(res, 400, { text: 'Invalid data format', code: 6 });
      return;
    }
    stats.ackPolls += 1;
    const state = channels.get(channel);
    const out: Record<string, boolean> = {};
    for (const id of acks as number[]) {
      const ack = state?.acks.get(id);
      const ok = ack !== undefined && ack.ready && !ack.stuck;
      out[String(id)] = ok;
      if (ok) {
        // Splunk answers a true ack once, then forgets it.
        state!.acks.delete(id);
        stats.acksTrue += 1;
      }
    }
    answer(res, 200, { acks: out });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hec.invalid');
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (path === '/services/collector/health' || path === '/services/collector/health/1.0') {
      return answer(res, 200, { text: 'HEC is healthy', code: 17 });
    }
    if (
      method === 'POST' &&
      ['/services/collector', '/services/collector/event', '/services/collector/event/1.0'].includes(path)
    ) {
      return onEvent(req, res, url);
    }
    if (method === 'POST' && (path === '/services/collector/ack' || path === '/services/collector/ack/1.0')) {
      return onAck(req, res, url);
    }
    if (path === '/_sim/index' && method === 'GET') {
      const eventId = url.searchParams.get('eventId');
      if (eventId !== null) return sendJson(res, 200, { eventId, count: counts.get(eventId) ?? 0 });
      return sendJson(res, 200, {
        events: stats.eventsIndexed,
        unique: stats.uniqueEvents,
        repeats: stats.repeats,
      });
    }
    if (path === '/_sim/down' && method === 'POST') {
      const ms = Number(url.searchParams.get('ms'));
      if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) {
        return sendJson(res, 400, { error: 'invalid_ms', message: 'ms must be an integer from 1 to 600000' });
      }
      sendJson(res, 202, { downForMs: ms });
      setImmediate(() => void goDown(ms));
      return;
    }
    const handled = await handleSimAdmin<FaultRule>(
      {
        journal: () => indexed.slice(-1000),
        stats: () => stats,
        faults: book,
        parseRule: (c) => faultRuleSchema.parse(c),
        send: sendJson,
        readText: async (r) => (await readBody(r, 64 * 1024)).toString('utf8'),
      },
      req,
      res,
      path,
    );
    if (!handled) hecError(res, 404, 404, 'The requested URL was not found on this server.');
  }

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`handler failed: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { text: 'Internal server error', code: 8 });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  async function goDown(ms: number): Promise<void> {
    if (down || closed) return;
    down = true;
    log(`down for ${ms} ms`);
    await stopListening();
    later(ms, () => {
      if (closed) return;
      listen(port)
        .then(() => {
          down = false;
          log('up again');
        })
        .catch((error: unknown) => log(`could not listen again: ${(error as Error).message}`));
    });
  }

  return {
    url: `http://${host}:${port}`,
    port,
    events: () => indexed,
    counts: () => counts,
    stats: () => ({ ...stats, answers: { ...stats.answers }, faultsInjected: { ...stats.faultsInjected } }),
    faults: () => book.list(),
    addFaults: (...rules) => book.add(...rules),
    clearFaults: () => book.clear(),
    goDown,
    isDown: () => down,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (!down) await stopListening();
    },
  };
}
