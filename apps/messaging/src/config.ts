import { apiTokensSchema, baseEnvSchema, z } from '@closeout/config';
import {
  parseEmailProviderConfig,
  parseTwilioSmsConfig,
  parseWhatsAppCloudConfig,
  ProviderConfigError,
  type EmailProviderConfig,
} from '@closeout/messaging-channels';
import {
  CHANNELS,
  parseSendWindow,
  validateFrequencyCaps,
  type Channel,
  type FrequencyCap,
  type SendWindow,
} from '@closeout/messaging-domain';
import { ApprovedTemplatesError, parseApprovedTemplates } from './whatsapp/approved-templates';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const optionalText = z.string().min(1).optional();

/** `HH:mm-HH:mm`, the local window messages may be sent in (never wider than 08:00-21:00). */
const sendWindow = z
  .string()
  .regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'must be HH:mm-HH:mm, e.g. 08:00-21:00')
  .transform((text, ctx): SendWindow => {
    const [start = '', end = ''] = text.split('-');
    try {
      parseSendWindow({ start, end });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    return { start, end };
  });

/** `purpose=max/windowDays`, comma-separated: at most `max` attempts per customer and purpose in `windowDays` days. */
const frequencyCaps = z.string().transform((text, ctx): FrequencyCap[] => {
  const caps: FrequencyCap[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9._-]+)=(\d+)\/(\d+)$/.exec(entry);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be purpose=max/windowDays, e.g. servicing-collections=3/7',
      });
      return z.NEVER;
    }
    caps.push({ purpose: match[1]!, max: Number(match[2]), windowDays: Number(match[3]) });
  }
  try {
    validateFrequencyCaps(caps, 'MESSAGING_FREQUENCY_CAPS');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
  return caps;
});

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone, e.g. Europe/London');

/** `WHATSAPP_APPROVED_TEMPLATES`: JSON, bounded; see `whatsapp/approved-templates.ts`. */
const approvedTemplates = z
  .string()
  .optional()
  .transform((text, ctx) => {
    try {
      return parseApprovedTemplates(text);
    } catch (error) {
      if (!(error instanceof ApprovedTemplatesError)) throw error;
      for (const problem of error.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
  });

const channelList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(CHANNELS as [Channel, ...Channel[]], 'each must be SMS, EMAIL or WHATSAPP')))
  .refine((list) => new Set(list).size === list.length, 'lists a channel twice');

/** Which variable carries each field of a provider's configuration, so a refusal names the variable. */
const EMAIL_VARIABLES: Record<string, string> = {
  host: 'SMTP_HOST',
  port: 'SMTP_PORT',
  fromAddress: 'SMTP_FROM_ADDRESS',
  fromName: 'SMTP_FROM_NAME',
  'tls.mode': 'SMTP_TLS_MODE',
  'auth.username': 'SMTP_USERNAME',
  'auth.password': 'SMTP_PASSWORD',
};
const SMS_VARIABLES: Record<string, string> = {
  accountSid: 'TWILIO_ACCOUNT_SID',
  authToken: 'TWILIO_AUTH_TOKEN',
  from: 'TWILIO_FROM',
  messagingServiceSid: 'TWILIO_MESSAGING_SERVICE_SID',
  baseUrl: 'TWILIO_BASE_URL',
  statusCallbackUrl: 'TWILIO_STATUS_CALLBACK_URL',
};
const WHATSAPP_VARIABLES: Record<string, string> = {
  accessToken: 'WHATSAPP_ACCESS_TOKEN',
  appSecret: 'WHATSAPP_APP_SECRET',
  phoneNumberId: 'WHATSAPP_PHONE_NUMBER_ID',
  apiVersion: 'WHATSAPP_API_VERSION',
  baseUrl: 'WHATSAPP_BASE_URL',
};

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export const configSchema = baseEnvSchema
  .extend({
    /** The service's PostgreSQL schema (tests run one per suite). */
    MESSAGING_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
      .default('messaging'),
    /** Where the mini-app answers `/l/<token>`; links in messages start with it. https, or http only to localhost. */
    MINIAPP_BASE_URL: z
      .url('must be a URL such as https://app.closeout.example')
      .refine(
        (u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(u),
        'must be https (http only to localhost)',
      )
      .transform((u) => u.replace(/\/+$/, '')),
    /**
     * The public base URL providers call the webhooks at (`<base>/webhooks/sms/<provider>`): the URL they sign is
     * rebuilt from it. Unset: the webhook routes answer 503.
     */
    MESSAGING_PUBLIC_BASE_URL: z
      .url('must be a URL such as https://messaging.closeout.example')
      .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    MESSAGING_WEBHOOK_MAX_BYTES: positiveInt(64 * 1024),
    /** The one message confirming an opt-out, on the channel the customer opted out on. */
    MESSAGING_OPT_OUT_CONFIRMATION: z
      .string()
      .min(1)
      .max(320)
      .default('You have been unsubscribed and will get no more messages about this from Closeout Bank.'),
    MESSAGING_DEFAULT_TIME_ZONE: timeZone.default('Europe/London'),
    MESSAGING_DEFAULT_LOCALE: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag')
      .default('en'),
    MESSAGING_SEND_WINDOW: sendWindow.default({ start: '08:00', end: '21:00' }),
    MESSAGING_FREQUENCY_CAPS: frequencyCaps.default([]),
    /** Tried, in order, after the requested channel when it failed permanently or is not allowed. */
    MESSAGING_FALLBACK_CHANNELS: channelList.default([]),
    MESSAGING_TEMPLATES_DIR: optionalText,
    MESSAGING_WORKER_POLL_MS: positiveInt(500),
    MESSAGING_CONTACT_WAIT_MS: positiveInt(60_000),
    /** Sends a worker works at once: its slots, refilled as they free. */
    MESSAGING_WORKER_BATCH: positiveInt(32),
    /** PostgreSQL connections of the service's pool (the worker's slots, the consumers and the outbox relay share it). */
    MESSAGING_DB_POOL: z.coerce.number().int().min(2).max(200).default(20),
    MESSAGING_LEASE_MS: positiveInt(60_000),
    MESSAGING_MAX_SEND_ATTEMPTS: positiveInt(5),
    MESSAGING_RETRY_BASE_MS: positiveInt(30_000),
    MESSAGING_RETRY_MAX_MS: positiveInt(30 * 60_000),
    MESSAGING_LOOKUP_DELAY_MS: positiveInt(60_000),
    MESSAGING_LOOKUP_VISIBILITY_MS: positiveInt(10 * 60_000),
    /**
     * How long a send whose outcome stays unknown (an email cut after DATA: SMTP has no lookup) waits for something to
     * settle it before it ends FAILED with OUTCOME_UNKNOWN (never sent again on that channel).
     */
    MESSAGING_UNKNOWN_MAX_MS: positiveInt(15 * 60_000),
    SMTP_HOST: optionalText,
    SMTP_PORT: z.coerce.number().int().optional(),
    SMTP_FROM_ADDRESS: optionalText,
    SMTP_FROM_NAME: optionalText,
    SMTP_TLS_MODE: optionalText,
    SMTP_USERNAME: optionalText,
    SMTP_PASSWORD: optionalText,
    TWILIO_ACCOUNT_SID: optionalText,
    TWILIO_AUTH_TOKEN: optionalText,
    TWILIO_FROM: optionalText,
    TWILIO_MESSAGING_SERVICE_SID: optionalText,
    TWILIO_BASE_URL: optionalText,
    TWILIO_STATUS_CALLBACK_URL: optionalText,
    WHATSAPP_ACCESS_TOKEN: optionalText,
    WHATSAPP_APP_SECRET: optionalText,
    WHATSAPP_PHONE_NUMBER_ID: optionalText,
    WHATSAPP_API_VERSION: optionalText,
    WHATSAPP_BASE_URL: optionalText,
    /** Our template id and locale → the provider's approved template, sent outside the 24-hour window. */
    WHATSAPP_APPROVED_TEMPLATES: approvedTemplates,
    /**
     * Who may call the internal API (`/internal/v1/…`, the mini-app's one-time codes and opt-outs): comma-separated
     * `principal=token` entries, e.g. `mini-app=<token>`. Unset: the internal API is not served (its routes 404).
     */
    MESSAGING_INTERNAL_API_TOKENS: apiTokensSchema.optional(),
    /** How long a one-time code's send may take (the customer waits for it) before the answer is 503. */
    MESSAGING_CODE_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** What Meta's webhook verification (GET `hub.verify_token`) must present; unset: every verification is refused. */
    WHATSAPP_VERIFY_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(256, 'must be at most 256 characters')
      .optional(),
  })
  .transform((env, ctx) => {
    let problems = 0;
    const refused = (error: unknown, variables: Record<string, string>, prefix: string): void => {
      if (!(error instanceof ProviderConfigError)) throw error;
      problems += error.problems.length;
      for (const p of error.problems)
        ctx.addIssue({
          code: 'custom',
          path: [variables[p.field] ?? `${prefix}(${p.field})`],
          message: p.rule,
        });
    };
    const channels: ChannelSettings = {};
    // A channel is configured when its first variable is set; each of its variables is then validated.
    if (env.SMTP_HOST !== undefined) {
      try {
        channels.EMAIL = parseEmailProviderConfig(
          defined({
            host: env.SMTP_HOST,
            port: env.SMTP_PORT,
            fromAddress: env.SMTP_FROM_ADDRESS,
            fromName: env.SMTP_FROM_NAME,
            tls: defined({ mode: env.SMTP_TLS_MODE }),
            auth:
              env.SMTP_USERNAME !== undefined || env.SMTP_PASSWORD !== undefined
                ? { username: env.SMTP_USERNAME, password: env.SMTP_PASSWORD }
                : undefined,
          }),
        );
      } catch (error) {
        refused(error, EMAIL_VARIABLES, 'SMTP_');
      }
    }
    if (env.TWILIO_ACCOUNT_SID !== undefined) {
      try {
        const input = defined({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          from: env.TWILIO_FROM,
          messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
          baseUrl: env.TWILIO_BASE_URL,
          statusCallbackUrl: env.TWILIO_STATUS_CALLBACK_URL,
        });
        parseTwilioSmsConfig(input);
        channels.SMS = input;
      } catch (error) {
        refused(error, SMS_VARIABLES, 'TWILIO_');
      }
    }
    if (env.WHATSAPP_PHONE_NUMBER_ID !== undefined) {
      try {
        const input = defined({
          accessToken: env.WHATSAPP_ACCESS_TOKEN,
          appSecret: env.WHATSAPP_APP_SECRET,
          phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID,
          apiVersion: env.WHATSAPP_API_VERSION,
          baseUrl: env.WHATSAPP_BASE_URL,
        });
        parseWhatsAppCloudConfig(input);
        channels.WHATSAPP = input;
      } catch (error) {
        refused(error, WHATSAPP_VARIABLES, 'WHATSAPP_');
      }
    }
    if (Object.keys(channels).length === 0 && problems === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_HOST'],
        message: 'no channel is configured: set SMTP_HOST, TWILIO_ACCOUNT_SID or WHATSAPP_PHONE_NUMBER_ID',
      });
    if (env.WHATSAPP_APPROVED_TEMPLATES.size > 0 && env.WHATSAPP_PHONE_NUMBER_ID === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['WHATSAPP_APPROVED_TEMPLATES'],
        message: 'is set but WhatsApp is not configured (WHATSAPP_PHONE_NUMBER_ID)',
      });
    if (env.MESSAGING_LOOKUP_VISIBILITY_MS > env.MESSAGING_UNKNOWN_MAX_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['MESSAGING_UNKNOWN_MAX_MS'],
        message: 'must be ≥ MESSAGING_LOOKUP_VISIBILITY_MS',
      });
    if (env.MESSAGING_RETRY_MAX_MS < env.MESSAGING_RETRY_BASE_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['MESSAGING_RETRY_MAX_MS'],
        message: 'must be ≥ MESSAGING_RETRY_BASE_MS',
      });
    return { ...env, channels };
  });

/** The providers' validated settings, per configured channel (SMS and WhatsApp as `providerFor` takes them). */
export interface ChannelSettings {
  EMAIL?: EmailProviderConfig;
  SMS?: Record<string, unknown>;
  WHATSAPP?: Record<string, unknown>;
}

export type Config = z.infer<typeof configSchema>;
