import { baseEnvSchema, loadConfig } from '@closeout/config';

export const configSchema = baseEnvSchema.extend({});

export type Config = ReturnType<typeof configSchema.parse>;

export function loadServiceConfig(): Config {
  return loadConfig(configSchema, { SERVICE_NAME: 'writeback-rest', HTTP_PORT: '3005', ...process.env });
}
