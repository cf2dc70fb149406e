import { z } from 'zod';
import { configProblems, ProviderConfigError } from '../provider-errors';

const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);
const nonEmpty = () => z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string');

/**
 * The WhatsApp Cloud API provider's configuration, validated once at boot. Unknown fields are refused; problems
 * name the field and rule, never the value (the token and the app secret are among the fields).
 */
export const whatsAppCloudConfigSchema = z.strictObject(
  {
    name: nonEmpty().default('whatsapp-cloud'),
    /** A system user's access token with whatsapp_business_messaging. */
    accessToken: nonEmpty(),
    /** The Meta app's secret: the key of `X-Hub-Signature-256`. */
    appSecret: nonEmpty(),
    /** The business phone number's id (not the number itself). */
    phoneNumberId: z.string({ error: 'must be digits' }).regex(/^\d{1,32}$/, 'must be digits'),
    apiVersion: z
      .string()
      .regex(/^v\d{1,2}\.\d$/, 'must be a Graph API version such as v23.0')
      .default('v23.0'),
    baseUrl: z.url({ error: 'must be an http(s) URL' }).default('https://graph.facebook.com'),
    timeoutMs: positiveInt(10_000),
    maxAnswerBytes: positiveInt(64 * 1024),
    maxWebhookBytes: positiveInt(256 * 1024),
    /** Used when a throttling answer carries no Retry-After (the Graph API seldom sends one). */
    defaultRetryAfterMs: positiveInt(60_000),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : 'must be an object',
  },
);

export type WhatsAppCloudConfig = z.output<typeof whatsAppCloudConfigSchema>;
export type WhatsAppCloudConfigInput = z.input<typeof whatsAppCloudConfigSchema>;

export function parseWhatsAppCloudConfig(input: unknown): WhatsAppCloudConfig {
  const parsed = whatsAppCloudConfigSchema.safeParse(input);
  if (!parsed.success) throw new ProviderConfigError('whatsapp-cloud', configProblems(parsed.error.issues));
  return parsed.data;
}
