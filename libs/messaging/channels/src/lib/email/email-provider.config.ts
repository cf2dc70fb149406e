import { isIP } from 'node:net';
import { z } from 'zod';
import { configProblems, ProviderConfigError } from '../provider-errors';

/**
 * The email channel's SMTP relay, as the messaging service is configured with it. Validated once at boot; every
 * problem is reported with its field path and rule (never its value: `auth.password` is a secret).
 */

const nonEmpty = (rule = 'must be a non-empty string') => z.string({ error: rule }).min(1, rule);

/** Goes into a header or an SMTP command line: a line break would end it. */
const oneLine = (rule: string) =>
  nonEmpty(rule)
    .max(255, rule)
    .regex(/^[^\r\n]+$/, rule);

const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);

/** A DNS name or an IP address literal. */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const hostname = (rule = 'must be a host name or an IP address') =>
  z.string({ error: rule }).refine((h) => HOSTNAME.test(h) || isIP(h) !== 0, rule);

const email = (rule = 'must be an e-mail address') => z.email({ error: rule }).max(254, rule);

/** Objects reject unknown fields: a misspelt optional field would otherwise be dropped and its default used. */
const strict = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : 'must be an object',
  });

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1)$/i;

export const emailProviderConfigSchema = strict({
  /** The provider's name in metrics and audit (never a secret). */
  name: nonEmpty().max(64, 'must be at most 64 characters').default('smtp'),
  host: hostname(),
  port: z
    .int({ error: 'must be a port number from 1 to 65535' })
    .min(1, 'must be a port number from 1 to 65535')
    .max(65535, 'must be a port number from 1 to 65535'),
  /** The From address, also the envelope sender (MAIL FROM), where bounces go. */
  fromAddress: email(),
  /** The From display name. */
  fromName: oneLine('must be a one-line string of 1 to 255 characters').optional(),
  /** The right-hand side of our Message-IDs (`<messageId@messageIdDomain>`); the From address's domain by default. */
  messageIdDomain: hostname('must be a domain name').optional(),
  /** The name we greet with (EHLO); the machine's host name by default. */
  clientName: hostname('must be a domain name').optional(),
  tls: strict({
    /**
     * `starttls`: plain connection upgraded with STARTTLS, which the relay must offer (port 587); `implicit`: TLS from
     * the first byte (port 465); `none`: no TLS at all — only to a relay on this machine (the devstack's SMTP sink).
     */
    mode: z
      .enum(['starttls', 'implicit', 'none'], { error: 'must be one of starttls, implicit, none' })
      .default('starttls'),
    /** Whether the relay's certificate must chain to a trusted CA and name the host. */
    rejectUnauthorized: z.boolean({ error: 'must be true or false' }).default(true),
    /** A PEM file of CAs to trust instead of Node's bundled ones. */
    caFile: nonEmpty('must be a file path').optional(),
    /** The name the certificate must carry (SNI), when it is not `host`. */
    servername: hostname('must be a domain name').optional(),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'must be TLSv1.2 or TLSv1.3' }).default('TLSv1.2'),
  }).prefault({}),
  /** AUTH PLAIN/LOGIN credentials, when the relay wants them. Sent only over TLS or to a relay on this machine. */
  auth: strict({
    username: oneLine('must be a one-line string of 1 to 255 characters'),
    password: nonEmpty(),
  }).optional(),
  timeouts: strict({
    /** To open the TCP (and, for `implicit`, TLS) connection. */
    connectMs: positiveInt(10_000),
    /** For the server's greeting once connected. */
    greetingMs: positiveInt(10_000),
    /** Of silence at any point of the exchange. */
    socketMs: positiveInt(30_000),
    /** For the whole exchange, connecting to the answer to the data. */
    sendMs: positiveInt(60_000),
  }).prefault({}),
  /**
   * Connection reuse: after an accepted message the connection stays open for the next one (MAIL FROM starts a new
   * transaction), as nodemailer's pool does. `maxIdle` 0 turns reuse off (one connection per message).
   */
  connections: strict({
    /** Open connections kept waiting for the next message. */
    maxIdle: z
      .int({ error: 'must be an integer from 0 to 64' })
      .min(0, 'must be an integer from 0 to 64')
      .max(64, 'must be an integer from 0 to 64')
      .default(8),
    /** Messages one connection carries before it is closed (relays limit this too). */
    maxMessages: positiveInt(100),
    /** How long an unused connection stays open (below the relay's own idle timeout, often 60 s or more). */
    idleMs: positiveInt(5_000),
  }).prefault({}),
  /** How long to wait before sending a message again after a temporary (4xx) refusal or a failed session. */
  retryAfterMs: positiveInt(60_000),
  /** The longest server reply read; a longer one ends the exchange. */
  maxReplyBytes: positiveInt(64 * 1024),
}).superRefine((config, ctx) => {
  if (config.tls.mode === 'none' && !LOOPBACK.test(config.host)) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls', 'mode'],
      message: 'may be none only for a relay on this machine (localhost, 127.0.0.0/8, ::1)',
    });
  }
  if (config.timeouts.sendMs < config.timeouts.connectMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['timeouts', 'sendMs'],
      message: 'must be at least timeouts.connectMs',
    });
  }
});

export type EmailProviderConfig = z.infer<typeof emailProviderConfigSchema>;
export type EmailProviderConfigInput = z.input<typeof emailProviderConfigSchema>;

/** Validates the email provider's configuration; a `ProviderConfigError` names every failing field (`tls.mode: …`). */
export function parseEmailProviderConfig(input: unknown): EmailProviderConfig {
  const parsed = emailProviderConfigSchema.safeParse(input);
  if (!parsed.success) throw new ProviderConfigError('smtp', configProblems(parsed.error.issues));
  return parsed.data;
}
