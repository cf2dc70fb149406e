/**
 * TEST DOUBLE — a local SMTP server standing in for a mail provider's SMTP relay in tests, the devstack and the demo.
 * Not production code.
 *
 * Accepts mail on SMTP (no STARTTLS; AUTH PLAIN/LOGIN required of every transaction when credentials are configured,
 * refused as a command otherwise), refuses a message over the size limit with `552`, stores every message it takes
 * (`store.ts`) and serves a small read API over HTTP:
 *
 *   GET    /health               200 { status, smtp: { host, port, maxMessageBytes, auth }, messages }
 *   GET    /messages?to=&limit=  200 { messages: [summary…] } in arrival order (the last `limit`, default 100)
 *   GET    /messages/:id         200 the parsed message (headers, text, html, sizeBytes, envelope) | 404
 *   GET    /messages/:id/raw     200 message/rfc822 as received | 404
 *   DELETE /messages             204, every stored message deleted
 *   GET    /_sim/stats, /_sim/journal (the summaries); GET|POST|DELETE /_sim/faults
 *
 * Faults (`faults.ts`): `temp_fail` (451 after the data), `reject_recipient` (550 at RCPT TO), `drop_after_data`
 * (the message is stored, then the connection is closed before the data is answered).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import {
  handleSimAdmin,
  PendingTimers,
  readBody,
  sendJson,
  startSimulatorServer,
} from '@closeout/simulators/shared';
import { FaultBook, faultRuleSchema, type FaultRule } from './faults';
import { isMessageId, MessageStore, summaryOf, type StoredMessageSummary } from './store';

export interface SmtpSinkOptions {
  /** Where messages are stored (created if missing); existing messages are kept and served. */
  dataDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  smtpPort?: number;
  /** 0 (default) picks a free port. */
  apiPort?: number;
  /** Messages over this many bytes are refused with 552 (default 10 MiB). */
  maxMessageBytes?: number;
  /** When given, every transaction must authenticate with these (AUTH PLAIN or LOGIN). */
  auth?: { username: string; password: string } | undefined;
  /** Faults active from the start (same shape as `POST /_sim/faults`). */
  faults?: FaultRule[];
  /** Random source for rate-based faults (seed it for reproducible runs). */
  random?: () => number;
  now?: () => number;
  /** One line per SMTP event, e.g. to stdout from the CLI; never an address or a body. */
  log?: (line: string) => void;
}

export interface SmtpSinkStats {
  accepted: number;
  tempFailed: number;
  rejectedRecipients: number;
  oversized: number;
  dropped: number;
  authFailures: number;
  /** SMTP connections opened to the sink (a client that reuses connections opens fewer than it sends messages). */
  connections: number;
}

export interface SmtpSink {
  host: string;
  smtpPort: number;
  apiPort: number;
  /** The read API's base URL, `http://host:port`. */
  apiUrl: string;
  store: MessageStore;
  stats(): SmtpSinkStats;
  setFaults(...rules: FaultRule[]): void;
  addFaults(...rules: FaultRule[]): void;
  clearFaults(): void;
  faults(): FaultRule[];
  /** Cuts every open SMTP connection without a word, as a relay closing idle connections does. */
  dropConnections(): void;
  close(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const MAX_ADMIN_BODY_BYTES = 64 * 1024;
const MAX_LIST_LIMIT = 1000;

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

function sameSecret(given: string | null | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function addressOf(address: SMTPServerAddress | false): string | null {
  return address ? address.address : null;
}

export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const { auth } = options;
  const store = await MessageStore.open(options.dataDir);
  const faults = new FaultBook(options.random ?? Math.random);
  faults.add(...(options.faults ?? []));
  const counts: SmtpSinkStats = {
    accepted: 0,
    tempFailed: 0,
    rejectedRecipients: 0,
    oversized: 0,
    dropped: 0,
    authFailures: 0,
    connections: 0,
  };
  /** Summaries of what this process took, for `/_sim/journal`. */
  const journal: StoredMessageSummary[] = [];

  const recipientsOf = (session: SMTPServerSession): string[] =>
    session.envelope.rcptTo.map((r) => r.address);

  const smtp: SMTPServer = new SMTPServer({
    name: 'smtp-sink.closeout.test',
    banner: 'Closeout smtp-sink (test double)',
    size: maxMessageBytes,
    // No TLS: the sink listens on loopback only. AUTH is offered only when there are credentials to check.
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect(_session, callback) {
      counts.connections += 1;
      callback();
    },
    logger: false,
    closeTimeout: 1000,
    onAuth(credentials, _session, callback) {
      if (
        auth &&
        (credentials.method === 'PLAIN' || credentials.method === 'LOGIN') &&
        sameSecret(credentials.username, auth.username) &&
        sameSecret(credentials.password, auth.password)
      ) {
        callback(null, { user: auth.username });
        return;
      }
      counts.authFailures += 1;
      log('AUTH refused: 535');
      callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address, session, callback) {
      if (faults.take('reject_recipient', { recipients: [address.address] })) {
        counts.rejectedRecipients += 1;
        log(`session ${session.id}: RCPT refused: 550 (reject_recipient)`);
        callback(smtpError(550, '5.1.1 Mailbox unavailable'));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxMessageBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        void (async () => {
          if (stream.sizeExceeded || size > maxMessageBytes) {
            counts.oversized += 1;
            log(`session ${session.id}: data refused: 552 (${size} bytes over ${maxMessageBytes})`);
            callback(
              smtpError(552, `5.3.4 Message exceeds fixed maximum message size of ${maxMessageBytes} bytes`),
            );
            return;
          }
          const recipients = recipientsOf(session);
          if (faults.take('temp_fail', { recipients })) {
            counts.tempFailed += 1;
            log(`session ${session.id}: data refused: 451 (temp_fail)`);
            callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
            return;
          }
          const drop = faults.take('drop_after_data', { recipients }) !== undefined;
          const envelope = { mailFrom: addressOf(session.envelope.mailFrom), rcptTo: recipients };
          let stored: StoredMessageSummary;
          try {
            stored = summaryOf(await store.save(Buffer.concat(chunks), envelope, !drop, now()));
          } catch (error) {
            log(
              `session ${session.id}: storing failed: ${error instanceof Error ? error.message : String(error)}`,
            );
            callback(smtpError(451, '4.3.0 Could not store the message'));
            return;
          }
          journal.push(stored);
          if (drop) {
            counts.dropped += 1;
            log(
              `session ${session.id}: stored ${stored.id}, connection dropped before answering (drop_after_data)`,
            );
            for (const connection of smtp.connections) {
              if (connection.id === session.id) connection._socket.destroy();
            }
            return;
          }
          counts.accepted += 1;
          log(`session ${session.id}: stored ${stored.id} (${stored.sizeBytes} bytes): 250`);
          callback(null, `2.0.0 Ok: queued as ${stored.id}`);
        })();
      });
    },
  });
  smtp.on('error', (error: Error) => log(`smtp error: ${error.message}`));

  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.smtpPort ?? 0, host, () => {
      smtp.server.off('error', reject);
      resolve();
    });
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sink');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') {
      sendJson(res, 200, {
        status: 'ok',
        smtp: { host, port: smtpPort, maxMessageBytes, auth: auth !== undefined },
        messages: await store.count(),
      });
      return;
    }
    if (path === '/messages' && method === 'GET') {
      const to = url.searchParams.get('to') ?? undefined;
      const limitText = url.searchParams.get('limit') ?? '100';
      const limit = Number(limitText);
      if (to !== undefined && (to.length === 0 || to.length > 320)) {
        sendJson(res, 400, {
          error: 'invalid_query',
          field: 'to',
          rule: 'must be an address of 1 to 320 characters',
        });
        return;
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        sendJson(res, 400, {
          error: 'invalid_query',
          field: 'limit',
          rule: `must be an integer from 1 to ${MAX_LIST_LIMIT}`,
        });
        return;
      }
      sendJson(res, 200, await store.list({ to, limit }));
      return;
    }
    if (path === '/messages' && method === 'DELETE') {
      await store.clear();
      sendJson(res, 204, undefined);
      return;
    }
    const one = /^\/messages\/([^/]+)(\/raw)?$/.exec(path);
    if (one && method === 'GET') {
      const id = one[1]!;
      if (!isMessageId(id)) {
        sendJson(res, 404, { error: 'not_found' });
        return;
      }
      if (one[2]) {
        const raw = await store.raw(id);
        if (!raw) sendJson(res, 404, { error: 'not_found' });
        else {
          res.writeHead(200, { 'Content-Type': 'message/rfc822', 'Content-Length': String(raw.length) });
          res.end(raw);
        }
        return;
      }
      const message = await store.get(id);
      if (message) sendJson(res, 200, message);
      else sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const handled = await handleSimAdmin(
      {
        journal: () => journal,
        stats: () => ({ ...counts }),
        faults,
        parseRule: (candidate) => faultRuleSchema.parse(candidate),
        send: sendJson,
        readText: async (req) => (await readBody(req, MAX_ADMIN_BODY_BYTES)).toString('utf8'),
      },
      req,
      res,
      path,
    );
    if (!handled) sendJson(res, 404, { error: 'not_found' });
  }

  const api = await startSimulatorServer(
    (req, res) => {
      route(req, res).catch((error: unknown) => {
        log(`api error: ${error instanceof Error ? error.message : String(error)}`);
        sendJson(res, 500, { error: 'internal' });
      });
    },
    { port: options.apiPort ?? 0, host, timers: new PendingTimers() },
  );

  let closing: Promise<void> | undefined;
  return {
    host,
    smtpPort,
    apiPort: api.port,
    apiUrl: api.baseUrl,
    store,
    stats: () => ({ ...counts }),
    setFaults: (...rules) => {
      faults.clear();
      faults.add(...rules);
    },
    addFaults: (...rules) => faults.add(...rules),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    dropConnections: () => {
      for (const connection of smtp.connections) connection._socket.destroy();
    },
    close() {
      closing ??= (async () => {
        const smtpClosed = new Promise<void>((resolve) => smtp.close(() => resolve()));
        for (const connection of smtp.connections) connection._socket.destroy();
        await Promise.all([smtpClosed, api.close()]);
      })();
      return closing;
    },
  };
}
