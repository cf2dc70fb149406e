import { loadConfig, parseApiTokens } from '@closeout/config';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { messagingHttpOptions } from '../http-options';
import { InternalController } from './internal.controller';
import {
  INTERNAL_API_MAX_BODY_BYTES,
  oneTimeCodeBody,
  optOutBody,
  problemsOf,
  tokenSha256Schema,
} from './internal-api.validation';
import { maskContactPoint } from './mask-contact-point';

const rulesOf = (schema: typeof oneTimeCodeBody | typeof optOutBody, body: unknown) => {
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : problemsOf(parsed.error);
};

describe('internal API input', () => {
  it('takes a link as its 64 lower-case hex SHA-256 only', () => {
    expect(tokenSha256Schema.safeParse('0a'.repeat(32)).success).toBe(true);
    for (const bad of ['0A'.repeat(32), '0a'.repeat(31), `${'0a'.repeat(32)}0`, 'g'.repeat(64), ''])
      expect(tokenSha256Schema.safeParse(bad).success).toBe(false);
  });

  it('takes a code of exactly 6 digits, naming the field and the rule otherwise', () => {
    expect(rulesOf(oneTimeCodeBody, { code: '012345' })).toEqual([]);
    for (const code of ['12345', '1234567', '12345a', ' 123456', '１２３４５６'])
      expect(rulesOf(oneTimeCodeBody, { code })).toEqual([
        { field: 'code', rule: 'must be exactly 6 digits' },
      ]);
    expect(rulesOf(oneTimeCodeBody, { code: 123456 })).toEqual([
      { field: 'code', rule: 'must be a string of exactly 6 digits' },
    ]);
    expect(rulesOf(oneTimeCodeBody, {})).toEqual([
      { field: 'code', rule: 'must be a string of exactly 6 digits' },
    ]);
  });

  it('refuses unknown fields and a body that is not an object, without quoting them', () => {
    expect(rulesOf(oneTimeCodeBody, { code: '123456', to: '+447700900001' })).toEqual([
      { field: '(body)', rule: 'unknown fields are not accepted' },
    ]);
    for (const body of [undefined, null, [], '123456'])
      expect(rulesOf(oneTimeCodeBody, body)).toEqual([{ field: '(body)', rule: 'must be a JSON object' }]);
  });

  it("takes an opt-out stated in the mini-app or through an email's one-click link the mini-app received", () => {
    expect(rulesOf(optOutBody, { source: 'mini-app' })).toEqual([]);
    expect(rulesOf(optOutBody, { source: 'list-unsubscribe' })).toEqual([]);
    expect(rulesOf(optOutBody, { source: 'sms-reply' })).toEqual([
      { field: 'source', rule: 'must be mini-app or list-unsubscribe' },
    ]);
  });
});

describe('internal API authentication settings', () => {
  const tokens = parseApiTokens('mini-app=0123456789abcdef0123').entries!;

  it('puts /internal behind the bearer tokens when they are configured, and bounds bodies to 1 KiB', () => {
    expect(messagingHttpOptions({ MESSAGING_INTERNAL_API_TOKENS: tokens })).toEqual({
      rawBodyPrefixes: ['/webhooks', '/l/'],
      maxBodyBytes: INTERNAL_API_MAX_BODY_BYTES,
      tokens,
      protectedPrefixes: ['/internal'],
    });
    expect(INTERNAL_API_MAX_BODY_BYTES).toBe(1024);
  });

  it('protects nothing without tokens, and the internal API is then not served at all (its routes 404)', () => {
    const options = messagingHttpOptions({ MESSAGING_INTERNAL_API_TOKENS: undefined });
    expect(options.tokens).toBeUndefined();
    expect(options.protectedPrefixes).toBeUndefined();
    const env = {
      SERVICE_NAME: 'messaging',
      HTTP_PORT: '3003',
      KAFKA_BROKERS: '127.0.0.1:9092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      MINIAPP_BASE_URL: 'https://app.closeout.example',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: '2525',
      SMTP_FROM_ADDRESS: 'no-reply@closeout.example',
      SMTP_TLS_MODE: 'none',
    };
    const without = AppModule.register(loadConfig(configSchema, env));
    expect(without.controllers).not.toContain(InternalController);
    const served = AppModule.register(
      loadConfig(configSchema, { ...env, MESSAGING_INTERNAL_API_TOKENS: 'mini-app=0123456789abcdef0123' }),
    );
    expect(served.controllers).toContain(InternalController);
  });
});

describe('maskContactPoint', () => {
  it('shows a phone number’s last two digits and an address’s first character and domain', () => {
    expect(maskContactPoint('+447700900142')).toBe('•••••••42');
    expect(maskContactPoint('jane.doe@example.com')).toBe('j•••@example.com');
  });
});
