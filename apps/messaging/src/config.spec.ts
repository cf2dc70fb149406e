import { loadConfig } from '@closeout/config';
import { configProblems } from '@closeout/config/testing';
import { configSchema } from './config';

const base = {
  SERVICE_NAME: 'messaging',
  HTTP_PORT: '3003',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  MINIAPP_BASE_URL: 'https://app.closeout.example/',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: '2525',
  SMTP_FROM_ADDRESS: 'no-reply@closeout.example',
  SMTP_TLS_MODE: 'none',
};

const problems = (env: Record<string, string>): string[] => configProblems(configSchema, env);

describe('messaging config', () => {
  it('reads the policy, the defaults and the email channel', () => {
    const config = loadConfig(configSchema, {
      ...base,
      MESSAGING_SEND_WINDOW: '09:00-20:00',
      MESSAGING_FREQUENCY_CAPS: 'servicing-collections=3/7, compliance-kyc=2/14',
      MESSAGING_FALLBACK_CHANNELS: 'SMS,EMAIL',
    });
    expect(config.MINIAPP_BASE_URL).toBe('https://app.closeout.example');
    expect(config.MESSAGING_SEND_WINDOW).toEqual({ start: '09:00', end: '20:00' });
    expect(config.MESSAGING_FREQUENCY_CAPS).toEqual([
      { purpose: 'servicing-collections', max: 3, windowDays: 7 },
      { purpose: 'compliance-kyc', max: 2, windowDays: 14 },
    ]);
    expect(config.MESSAGING_FALLBACK_CHANNELS).toEqual(['SMS', 'EMAIL']);
    expect(config.MESSAGING_DEFAULT_TIME_ZONE).toBe('Europe/London');
    expect(config.MESSAGING_DB_SCHEMA).toBe('messaging');
    expect(config.channels.EMAIL).toMatchObject({ host: '127.0.0.1', port: 2525, tls: { mode: 'none' } });
    expect(config.channels.SMS).toBeUndefined();
  });

  it('configures SMS from the TWILIO_ variables, validated by the provider', () => {
    const config = loadConfig(configSchema, {
      ...base,
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: 'http://127.0.0.1:8095',
    });
    expect(config.channels.SMS).toMatchObject({ from: '+15005550006', baseUrl: 'http://127.0.0.1:8095' });
  });

  it('names the variable of each provider field that does not hold, never its value', () => {
    const found = problems({
      ...base,
      SMTP_TLS_MODE: 'sometimes',
      TWILIO_ACCOUNT_SID: 'not-a-sid',
      TWILIO_AUTH_TOKEN: 'secret-token',
      WHATSAPP_PHONE_NUMBER_ID: '12x',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'SMTP_TLS_MODE: must be one of starttls, implicit, none',
        'TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits',
        'TWILIO_FROM: give from or messagingServiceSid',
        'WHATSAPP_PHONE_NUMBER_ID: must be digits',
        expect.stringMatching(/^WHATSAPP_ACCESS_TOKEN: /),
      ]),
    );
    expect(found.join('\n')).not.toContain('secret-token');
  });

  it('refuses a window wider than 08:00-21:00, a malformed cap, an unknown zone, http to another host, no channel', () => {
    expect(problems({ ...base, MESSAGING_SEND_WINDOW: '07:00-22:00' })[0]).toMatch(
      /^MESSAGING_SEND_WINDOW: /,
    );
    expect(problems({ ...base, MESSAGING_FREQUENCY_CAPS: 'collections=3' })).toEqual([
      'MESSAGING_FREQUENCY_CAPS: each entry must be purpose=max/windowDays, e.g. servicing-collections=3/7',
    ]);
    expect(problems({ ...base, MESSAGING_DEFAULT_TIME_ZONE: 'Mars/Olympus' })).toEqual([
      'MESSAGING_DEFAULT_TIME_ZONE: must be an IANA time zone, e.g. Europe/London',
    ]);
    expect(problems({ ...base, MINIAPP_BASE_URL: 'http://app.example' })).toEqual([
      'MINIAPP_BASE_URL: must be https (http only to localhost)',
    ]);
    const { SMTP_HOST: _h, ...noChannel } = base;
    expect(problems(noChannel)).toEqual([
      'SMTP_HOST: no channel is configured: set SMTP_HOST, TWILIO_ACCOUNT_SID or WHATSAPP_PHONE_NUMBER_ID',
    ]);
  });
  const whatsapp = {
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    WHATSAPP_ACCESS_TOKEN: 'access-token',
    WHATSAPP_APP_SECRET: 'app-secret',
  };

  it('reads approved WhatsApp templates, the verify token and the bound on an unknown outcome', () => {
    const config = loadConfig(configSchema, {
      ...base,
      ...whatsapp,
      WHATSAPP_APPROVED_TEMPLATES: JSON.stringify({
        'failed-payment-recovery.v1': { en: { name: 'failed_payment_recovery_v1', language: 'en_GB' } },
      }),
      WHATSAPP_VERIFY_TOKEN: 'a-verify-token-of-some-length',
      MESSAGING_UNKNOWN_MAX_MS: '1200000',
    });
    expect(config.WHATSAPP_APPROVED_TEMPLATES.get('failed-payment-recovery.v1')?.get('en')).toEqual({
      name: 'failed_payment_recovery_v1',
      language: 'en_GB',
    });
    expect(config.WHATSAPP_VERIFY_TOKEN).toBe('a-verify-token-of-some-length');
    expect(config.MESSAGING_UNKNOWN_MAX_MS).toBe(1_200_000);
    expect(loadConfig(configSchema, base).MESSAGING_UNKNOWN_MAX_MS).toBe(15 * 60_000);
    expect(loadConfig(configSchema, base).WHATSAPP_APPROVED_TEMPLATES.size).toBe(0);
  });

  it('refuses approved templates that do not hold, naming the variable and the entry', () => {
    expect(
      problems({
        ...base,
        ...whatsapp,
        WHATSAPP_APPROVED_TEMPLATES: '{"pay.v1":{"en":{"name":"Pay Now","language":"en"}}}',
      }),
    ).toEqual([
      'WHATSAPP_APPROVED_TEMPLATES: pay.v1/en: name must be lower-case letters, digits and underscores (at most 512)',
    ]);
    expect(problems({ ...base, ...whatsapp, WHATSAPP_APPROVED_TEMPLATES: 'pay.v1=pay_v1' })[0]).toMatch(
      /^WHATSAPP_APPROVED_TEMPLATES: must be JSON: /,
    );
    expect(
      problems({
        ...base,
        WHATSAPP_APPROVED_TEMPLATES: '{"pay.v1":{"en":{"name":"pay_v1","language":"en"}}}',
      }),
    ).toEqual([
      'WHATSAPP_APPROVED_TEMPLATES: is set but WhatsApp is not configured (WHATSAPP_PHONE_NUMBER_ID)',
    ]);
  });

  it('refuses a short verify token, and an unknown-outcome bound below the lookup visibility', () => {
    expect(problems({ ...base, WHATSAPP_VERIFY_TOKEN: 'short' })).toEqual([
      'WHATSAPP_VERIFY_TOKEN: must be at least 16 characters',
    ]);
    expect(problems({ ...base, MESSAGING_UNKNOWN_MAX_MS: '60000' })).toEqual([
      'MESSAGING_UNKNOWN_MAX_MS: must be ≥ MESSAGING_LOOKUP_VISIBILITY_MS',
    ]);
  });

  it('reads the internal API tokens (unset: no internal API) and the code send timeout, naming a refusal', () => {
    const config = loadConfig(configSchema, {
      ...base,
      MESSAGING_INTERNAL_API_TOKENS: 'mini-app=0123456789abcdef0123',
    });
    expect(config.MESSAGING_INTERNAL_API_TOKENS).toEqual([
      { principal: { id: 'mini-app', sources: ['mini-app'] }, token: '0123456789abcdef0123' },
    ]);
    expect(config.MESSAGING_CODE_SEND_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig(configSchema, base).MESSAGING_INTERNAL_API_TOKENS).toBeUndefined();
    expect(problems({ ...base, MESSAGING_INTERNAL_API_TOKENS: 'mini-app=short' })).toEqual([
      'MESSAGING_INTERNAL_API_TOKENS: entry 1: the token must be 16–512 printable ASCII characters without spaces',
    ]);
    expect(problems({ ...base, MESSAGING_CODE_SEND_TIMEOUT_MS: '120000' })).toHaveLength(1);
  });
});
