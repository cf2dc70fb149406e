import { loadConfig } from '@closeout/config';
import { configProblems } from '@closeout/config/testing';
import { configSchema } from './config';

const base = {
  SERVICE_NAME: 'mini-app-backend',
  HTTP_PORT: '3004',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  MINIAPP_PUBLIC_BASE_URL: 'https://app.closeout.example/',
  ORCHESTRATOR_URL: 'http://orchestrator:3000',
  MINIAPP_ORCHESTRATOR_TOKEN: 'orchestrator-token-0123',
  MESSAGING_INTERNAL_URL: 'http://messaging.closeout.svc.cluster.local:3000',
  MINIAPP_MESSAGING_TOKEN: 'messaging-token-01234',
  MINIAPP_OTP_KEY: 'k'.repeat(32),
};

const problems = (env: Record<string, string>): string[] => configProblems(configSchema, env);

describe('mini-app config', () => {
  it('takes the other services over the deployment network and fills the defaults', () => {
    const config = loadConfig(configSchema, base);
    expect(config.MINIAPP_PUBLIC_BASE_URL).toBe('https://app.closeout.example');
    expect(config.ORCHESTRATOR_URL).toBe('http://orchestrator:3000');
    expect(config.MESSAGING_INTERNAL_URL).toBe('http://messaging.closeout.svc.cluster.local:3000');
    expect(config.MINIAPP_SESSION_IDLE_SECONDS).toBe(900);
    expect(config.MINIAPP_UPLOAD_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(config.CARD_PROCESSOR_URL).toBeUndefined();
  });

  it('refuses plain http over a public name, and for the public page anywhere but loopback', () => {
    expect(problems({ ...base, ORCHESTRATOR_URL: 'http://orchestrator.bank.example:3000' })).toEqual([
      expect.stringMatching(
        /^ORCHESTRATOR_URL: must be https \(http only to localhost, 127\.0\.0\.1, a single-label/,
      ),
    ]);
    expect(problems({ ...base, MINIAPP_PUBLIC_BASE_URL: 'http://app' })).toEqual([
      expect.stringMatching(/^MINIAPP_PUBLIC_BASE_URL: must be https/),
    ]);
  });

  it('bounds sessions and uploads, and wants secrets long enough', () => {
    expect(
      problems({
        ...base,
        MINIAPP_SESSION_IDLE_SECONDS: '901',
        MINIAPP_UPLOAD_MAX_BYTES: String(26 * 1024 * 1024),
        MINIAPP_OTP_KEY: 'short',
      }),
    ).toEqual([
      expect.stringMatching(/^MINIAPP_OTP_KEY: must be at least 32 characters/),
      expect.stringMatching(/^MINIAPP_SESSION_IDLE_SECONDS: /),
      expect.stringMatching(/^MINIAPP_UPLOAD_MAX_BYTES: /),
    ]);
  });

  it("keeps uploads within clamd's StreamMaxLength when clamd scans them", () => {
    const scanned = { ...base, CLAMAV_HOST: '127.0.0.1', CLAMAV_STREAM_MAX_BYTES: String(8 * 1024 * 1024) };
    expect(loadConfig(configSchema, { ...base, CLAMAV_HOST: '127.0.0.1' }).CLAMAV_STREAM_MAX_BYTES).toBe(
      25 * 1024 * 1024,
    );
    expect(problems(scanned)).toEqual([
      'MINIAPP_UPLOAD_MAX_BYTES: must not exceed CLAMAV_STREAM_MAX_BYTES (8388608) when CLAMAV_HOST is set',
    ]);
    expect(problems({ ...scanned, MINIAPP_UPLOAD_MAX_BYTES: String(8 * 1024 * 1024) })).toEqual([]);
    expect(problems({ ...base, CLAMAV_STREAM_MAX_BYTES: String(8 * 1024 * 1024) })).toEqual([]);
  });

  it('takes the card processor whole or not at all, naming what is missing', () => {
    expect(problems({ ...base, CARD_PROCESSOR_URL: 'https://pay.processor.example' })).toEqual([
      expect.stringMatching(/^CARD_PROCESSOR_API_KEY: /),
      expect.stringMatching(/^MINIAPP_PROCESSOR_STATE_KEY: /),
    ]);
  });
});
