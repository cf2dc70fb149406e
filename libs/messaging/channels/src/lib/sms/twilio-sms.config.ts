import { z } from 'zod';
import { configProblems, ProviderConfigError } from '../provider-errors';
import { E164 } from '../provider-http';

const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);

/**
 * The Twilio SMS provider's configuration, validated once at boot. Unknown fields are refused (a misspelt optional
 * field would otherwise run with a default nobody chose); problems name the field and rule, never the value.
 */
export const twilioSmsConfigSchema = z
  .strictObject(
    {
      name: z.string().min(1, 'must be a non-empty string').default('twilio'),
      accountSid: z
        .string({ error: 'must be AC followed by 32 hex digits' })
        .regex(/^AC[0-9a-f]{32}$/, 'must be AC followed by 32 hex digits'),
      authToken: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
      /** The sending number (E.164); or `messagingServiceSid`. */
      from: z.string().regex(E164, 'must be an E.164 number (+ and 7 to 15 digits)').optional(),
      messagingServiceSid: z
        .string()
        .regex(/^MG[0-9a-f]{32}$/, 'must be MG followed by 32 hex digits')
        .optional(),
      baseUrl: z.url({ error: 'must be an http(s) URL' }).default('https://api.twilio.com'),
      /**
       * Where Twilio POSTs the message's status callbacks: our webhook, exactly as Twilio will call it (the signature
       * covers the full URL). Each message's `messageId` is added as a query parameter.
       */
      statusCallbackUrl: z.url({ error: 'must be an http(s) URL' }).optional(),
      timeoutMs: positiveInt(10_000),
      maxAnswerBytes: positiveInt(64 * 1024),
      maxWebhookBytes: positiveInt(64 * 1024),
      /** Used when a 429 or 5xx carries no Retry-After. */
      defaultRetryAfterMs: positiveInt(1_000),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : 'must be an object',
    },
  )
  .refine((c) => c.from !== undefined || c.messagingServiceSid !== undefined, {
    path: ['from'],
    message: 'give from or messagingServiceSid',
  });

export type TwilioSmsConfig = z.output<typeof twilioSmsConfigSchema>;
export type TwilioSmsConfigInput = z.input<typeof twilioSmsConfigSchema>;

/** The configuration, or a ProviderConfigError naming every field that does not hold. */
export function parseTwilioSmsConfig(input: unknown): TwilioSmsConfig {
  const parsed = twilioSmsConfigSchema.safeParse(input);
  if (!parsed.success) throw new ProviderConfigError('twilio', configProblems(parsed.error.issues));
  return parsed.data;
}
