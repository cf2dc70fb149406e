import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { z } from 'zod';
import { DomainError } from '@closeout/errors';
import { createLogger } from '@closeout/telemetry';
import type {
  ChannelProvider,
  LookupResult,
  OutboundMessage,
  SendOutcome,
  WebhookEvent,
} from '../channel-provider';
import { ProviderConfigError } from '../provider-errors';
import type { ProviderLogger } from '../provider-http';
import { classifySmtpExchange, replyCodes, type SmtpExchange, type SmtpStage } from './classify-smtp';
import type { EmailProviderConfig } from './email-provider.config';

/** The logger calls the provider makes; a pino logger fits. Never given a recipient, a subject or a body. */
export type EmailProviderLogger = ProviderLogger;

export type EmailProviderErrorCode = 'WEBHOOK_UNSUPPORTED';

export class EmailProviderError extends DomainError<EmailProviderErrorCode> {
  constructor(code: EmailProviderErrorCode, rule: string, options: { field?: string } = {}) {
    super(code, rule, options);
  }
}

/** dot-atom-text (RFC 5322): what the left of a Message-ID may be without quoting. */
const MESSAGE_ID = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const MAX_MESSAGE_ID = 200;
/** A header line stays well under RFC 5322's 998 characters with its name. */
const MAX_UNSUBSCRIBE_URL = 900;
const recipientSchema = z.email().max(254);

/** RFC 8058 one-click links are https; plain http only to this machine (a mini-app run locally, tests). */
const secureEnough = (url: URL): boolean =>
  url.protocol === 'https:' ||
  (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));

/** What a message must be for this provider; a message that is not cannot be sent, now or later. */
function refusal(message: OutboundMessage): string | undefined {
  if (message.channel !== 'EMAIL') return 'channel: must be EMAIL';
  if (message.messageId.length > MAX_MESSAGE_ID || !MESSAGE_ID.test(message.messageId))
    return `messageId: must be 1 to ${MAX_MESSAGE_ID} characters of RFC 5322 dot-atom text`;
  if (!recipientSchema.safeParse(message.to).success) return 'to: must be one e-mail address';
  if (message.subject === undefined || message.subject.trim() === '')
    return 'subject: must be a non-empty string';
  if (message.unsubscribeUrl !== undefined) {
    const url = URL.parse(message.unsubscribeUrl);
    if (url === null || !secureEnough(url) || url.href.length > MAX_UNSUBSCRIBE_URL)
      return `unsubscribeUrl: must be an https URL (http only to this machine) of at most ${MAX_UNSUBSCRIBE_URL} characters`;
  }
  return undefined;
}

interface NodemailerFailure {
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
}

interface ExchangeResult {
  exchange: SmtpExchange;
  /** The reply that ended it, for its codes (never logged or reported as text). */
  reply?: string | undefined;
}

/**
 * The email channel over SMTP (nodemailer's composer and SMTP client), a connection kept open for the next message
 * after an accepted one (`connections`), multipart text and HTML, `List-Unsubscribe` (https, one-click per RFC 8058) and our Message-ID, `<messageId@messageIdDomain>`, which is
 * also the `providerRef` of an accepted message.
 *
 * The exchange is followed stage by stage (`classify-smtp.ts`): what the server answered, and whether the message's
 * content had started to leave when a connection was cut or timed out, decide accepted / rejected / unknown.
 *
 * SMTP has no status lookup and no signed webhooks: `lookup` answers `inconclusive`, `verifyWebhook` false and
 * `parseWebhook` throws. Bounces and delivery reports arrive as mail to the envelope sender, which this provider does
 * not read.
 */
export class EmailProvider implements ChannelProvider {
  readonly channel = 'EMAIL' as const;
  readonly name: string;

  private readonly messageIdDomain: string;
  private readonly tls: ConnectionOptions;

  constructor(
    private readonly config: EmailProviderConfig,
    private readonly logger: EmailProviderLogger = createLogger('email-provider'),
  ) {
    this.name = config.name;
    this.messageIdDomain =
      config.messageIdDomain ?? config.fromAddress.slice(config.fromAddress.lastIndexOf('@') + 1);
    let ca: string | undefined;
    if (config.tls.caFile !== undefined) {
      try {
        ca = readFileSync(config.tls.caFile, 'utf8');
      } catch {
        throw new ProviderConfigError(config.name, [
          { field: 'tls.caFile', rule: 'must be a readable PEM file' },
        ]);
      }
    }
    this.tls = {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      minVersion: config.tls.minVersion,
      ...(ca !== undefined ? { ca } : {}),
      ...(config.tls.servername !== undefined ? { servername: config.tls.servername } : {}),
    };
  }

  /** The Message-ID header (angle brackets included) this provider gives a message, and its `providerRef`. */
  messageIdHeader(messageId: string): string {
    return `<${messageId}@${this.messageIdDomain}>`;
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const refused = refusal(message);
    if (refused !== undefined) {
      this.logger.warn(
        { provider: this.name, messageId: message.messageId, rule: refused },
        'email refused before sending',
      );
      return { kind: 'rejected', permanent: true, reason: refused };
    }
    const providerRef = this.messageIdHeader(message.messageId);
    const raw = await this.compose(message, providerRef);
    const { exchange, reply } = await this.exchange(message.to, raw);
    const outcome = classifySmtpExchange(exchange, { retryAfterMs: this.config.retryAfterMs, reply });
    if (outcome.kind === 'accepted') return { kind: 'accepted', providerRef };
    this.logger.warn(
      {
        provider: this.name,
        messageId: message.messageId,
        outcome: outcome.kind,
        ...(outcome.kind === 'rejected' ? { permanent: outcome.permanent } : {}),
        ...(exchange.kind === 'failed'
          ? { stage: exchange.stage, reply: replyCodes(reply, exchange.responseCode), code: exchange.code }
          : {}),
      },
      outcome.kind === 'unknown' ? 'email outcome unknown' : 'email rejected',
    );
    return outcome;
  }

  /** SMTP has no way to ask a relay what became of a message: always inconclusive. */
  lookup(): Promise<LookupResult> {
    return Promise.resolve({
      kind: 'inconclusive',
      reason:
        'SMTP has no status lookup: a relay says what became of a message only by mail to the envelope sender',
    });
  }

  /** SMTP relays send no webhooks. */
  verifyWebhook(): boolean {
    return false;
  }

  parseWebhook(): WebhookEvent[] {
    throw new EmailProviderError('WEBHOOK_UNSUPPORTED', 'the SMTP email provider receives no webhooks', {
      field: 'webhook',
    });
  }

  private compose(message: OutboundMessage, messageIdHeader: string): Promise<Buffer> {
    const { fromAddress, fromName } = this.config;
    const unsubscribe =
      message.unsubscribeUrl === undefined ? undefined : new URL(message.unsubscribeUrl).href;
    return new MailComposer({
      from: fromName === undefined ? fromAddress : { name: fromName, address: fromAddress },
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
      messageId: messageIdHeader,
      // RFC 2369 and RFC 8058 one-click: the https URL alone (no mailto), POSTed to with `List-Unsubscribe=One-Click`.
      // The URL is already serialized by WHATWG URL (no spaces, no line breaks, ASCII): sent as it is.
      ...(unsubscribe !== undefined
        ? {
            headers: {
              'List-Unsubscribe': { prepared: true, value: `<${unsubscribe}>` },
              'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
            },
          }
        : {}),
    })
      .compile()
      .build();
  }

  /**
   * One SMTP exchange, on a connection left open by an earlier accepted message when there is one, else on a new one.
   * A reused connection the relay has dropped meanwhile fails before a byte of the message left (no reply at all, and
   * the stage is not yet `data`): the message then goes once more on a new connection, as nodemailer's pool does.
   * Never rejects.
   */
  private async exchange(to: string, raw: Buffer): Promise<ExchangeResult> {
    const reused = this.takeIdle();
    if (reused !== undefined) {
      const first = await this.attempt(reused, to, raw);
      if (!('retryOnNewConnection' in first)) return first;
    }
    const result = await this.attempt(undefined, to, raw);
    return 'retryOnNewConnection' in result ? { exchange: { kind: 'failed', stage: 'envelope' } } : result;
  }

  private newConnection(): SMTPConnection {
    const { config } = this;
    return new SMTPConnection({
      host: config.host,
      port: config.port,
      secure: config.tls.mode === 'implicit',
      requireTLS: config.tls.mode === 'starttls',
      ignoreTLS: config.tls.mode === 'none',
      opportunisticTLS: false,
      tls: this.tls,
      ...(config.clientName !== undefined ? { name: config.clientName } : {}),
      connectionTimeout: config.timeouts.connectMs,
      greetingTimeout: config.timeouts.greetingMs,
      socketTimeout: config.timeouts.socketMs,
      socketCloseTimeout: 0,
      maxResponseSize: config.maxReplyBytes,
      logger: false,
      transactionLog: false,
      debug: false,
    });
  }

  /** One exchange on `pooled` (already greeted and logged in) or on a new connection; never rejects. */
  private attempt(
    pooled: PooledConnection | undefined,
    to: string,
    raw: Buffer,
  ): Promise<ExchangeResult | { retryOnNewConnection: true }> {
    const { config } = this;
    const entry: PooledConnection = pooled ?? { connection: this.newConnection(), messages: 0 };
    const { connection } = entry;
    return new Promise((resolve) => {
      let stage: SmtpStage = pooled === undefined ? 'session' : 'envelope';
      let settled = false;

      const settle = (
        result: ExchangeResult | { retryOnNewConnection: true },
        then: 'quit' | 'close' | 'keep',
      ): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        connection.removeListener('error', onError);
        connection.removeListener('end', onEnd);
        if (then !== 'keep') ignoreLateErrors(connection);
        if (then === 'keep') this.release(entry);
        else if (then === 'quit') connection.quit();
        else connection.close();
        resolve(result);
      };
      const fail = (error: NodemailerFailure): void => {
        // Nothing of the message left and the relay said nothing: a kept connection it had closed meanwhile.
        if (pooled !== undefined && stage !== 'data' && error.responseCode === undefined) {
          settle({ retryOnNewConnection: true }, 'close');
          return;
        }
        settle(
          {
            exchange: { kind: 'failed', stage, responseCode: error.responseCode, code: error.code },
            reply: error.response,
          },
          'close',
        );
      };
      // Errors arrive as events (connecting, a cut, a timeout) and through the callbacks: the first one settles.
      const onError = (error: NodemailerFailure): void => fail(error);
      const onEnd = (): void => fail({ code: 'ECONNECTION' });
      connection.on('error', onError);
      connection.once('end', onEnd);
      const deadline = setTimeout(() => fail({ code: 'ETIMEDOUT' }), config.timeouts.sendMs);

      // Read by the client only once the server has answered DATA with 354: from then on the server may end up
      // holding the message whatever happens to the connection.
      const content = new Readable({
        read() {
          stage = 'data';
          this.push(raw);
          this.push(null);
        },
      });

      const sendMessage = (): void => {
        stage = 'envelope';
        connection.send({ from: config.fromAddress, to: [to] }, content, (error, info) => {
          if (error) fail(error);
          else if (info.rejected.length > 0 || info.accepted.length === 0)
            fail({
              responseCode: info.rejectedErrors?.[0]?.responseCode,
              response: info.rejectedErrors?.[0]?.response,
            });
          else {
            entry.messages += 1;
            settle(
              { exchange: { kind: 'accepted' }, reply: info.response },
              this.keeps(entry) ? 'keep' : 'quit',
            );
          }
        });
      };

      if (pooled !== undefined) {
        sendMessage();
        return;
      }
      connection.connect((error) => {
        if (error) {
          fail(error);
          return;
        }
        if (config.auth === undefined) {
          sendMessage();
          return;
        }
        connection.login({ user: config.auth.username, pass: config.auth.password }, (loginError) => {
          if (loginError) fail(loginError);
          else sendMessage();
        });
      });
    });
  }

  private readonly idle: PooledConnection[] = [];

  private keeps(entry: PooledConnection): boolean {
    const limits = this.config.connections;
    return entry.messages < limits.maxMessages && this.idle.length < limits.maxIdle;
  }

  /** The most recently used idle connection (the likeliest to be alive), taken out of the idle list. */
  private takeIdle(): PooledConnection | undefined {
    const entry = this.idle.pop();
    if (entry === undefined) return undefined;
    clearTimeout(entry.idleTimer);
    if (entry.onIdleDrop) {
      entry.connection.removeListener('error', entry.onIdleDrop);
      entry.connection.removeListener('end', entry.onIdleDrop);
    }
    socketOf(entry.connection)?.ref();
    return entry;
  }

  /**
   * Keeps an open connection for the next message. While idle it does not hold the process open (like Node's HTTP
   * agent with keep-alive), closes after `connections.idleMs`, and leaves the list if the relay drops it.
   */
  private release(entry: PooledConnection): void {
    const drop = (): void => {
      const at = this.idle.indexOf(entry);
      if (at >= 0) this.idle.splice(at, 1);
      clearTimeout(entry.idleTimer);
      ignoreLateErrors(entry.connection);
      entry.connection.close();
    };
    entry.onIdleDrop = drop;
    entry.connection.on('error', drop);
    entry.connection.once('end', drop);
    entry.idleTimer = setTimeout(() => {
      const at = this.idle.indexOf(entry);
      if (at >= 0) this.idle.splice(at, 1);
      if (entry.onIdleDrop) entry.connection.removeListener('error', entry.onIdleDrop);
      ignoreLateErrors(entry.connection);
      entry.connection.quit();
    }, this.config.connections.idleMs);
    entry.idleTimer.unref();
    socketOf(entry.connection)?.unref();
    this.idle.push(entry);
  }

  /** Closes every idle connection (QUIT); sends in flight finish on their own. */
  close(): void {
    for (const entry of this.idle.splice(0)) {
      clearTimeout(entry.idleTimer);
      if (entry.onIdleDrop) {
        entry.connection.removeListener('error', entry.onIdleDrop);
        entry.connection.removeListener('end', entry.onIdleDrop);
      }
      ignoreLateErrors(entry.connection);
      entry.connection.quit();
    }
  }

  /** How many connections are open and waiting for the next message (for tests and metrics). */
  get idleConnections(): number {
    return this.idle.length;
  }
}

interface PooledConnection {
  connection: SMTPConnection;
  /** Messages accepted over it so far. */
  messages: number;
  idleTimer?: NodeJS.Timeout;
  onIdleDrop?: () => void;
}

/** A connection being closed may still report a reset; nothing waits for it any more. */
function ignoreLateErrors(connection: SMTPConnection): void {
  if (connection.listenerCount('error') === 0) connection.on('error', () => undefined);
}

/** The connection's socket (nodemailer keeps it as `_socket`), to unref it while idle. */
function socketOf(connection: SMTPConnection): { ref(): void; unref(): void } | undefined {
  const socket = (connection as unknown as { _socket?: { ref(): void; unref(): void } })._socket;
  return typeof socket?.unref === 'function' ? socket : undefined;
}
