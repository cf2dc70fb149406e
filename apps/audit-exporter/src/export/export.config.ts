import { hostname } from 'node:os';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false'], 'must be true or false')
  .default('false')
  .transform((v) => v === 'true');
const ms = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The SIEM export's variables, spread into the audit-exporter's config schema (`baseEnvSchema.extend(
 * exportEnvShape)`); `exportConfigFrom` checks the rules between them and gives the ExportModule its config.
 */
export const exportEnvShape = {
  /** Splunk HTTP Event Collector sink, with indexer acknowledgement. */
  AUDIT_HEC_ENABLED: flag,
  /** The HEC base URL, e.g. https://splunk.example:8088 (the paths /services/collector/event and /ack are added). */
  AUDIT_HEC_URL: z.url({ message: 'must be a URL such as https://splunk.example:8088' }).optional(),
  /** The HEC token (a secret: never logged). */
  AUDIT_HEC_TOKEN: z.string().min(1).max(512).optional(),
  /** Unacknowledged this long after it was sent, a batch is sent again. */
  AUDIT_HEC_ACK_TIMEOUT_MS: ms(1_000, 3_600_000, 60_000),
  AUDIT_HEC_ACK_POLL_MS: ms(50, 60_000, 1_000),
  AUDIT_HEC_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Batches sent and not yet acknowledged, at most. */
  AUDIT_HEC_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(8),
  AUDIT_HEC_REQUEST_TIMEOUT_MS: ms(100, 300_000, 10_000),
  AUDIT_HEC_INDEX: z
    .string()
    .regex(/^[a-z0-9_][a-z0-9_-]{0,79}$/, 'must be a Splunk index name')
    .optional(),
  AUDIT_HEC_SOURCETYPE: z.string().min(1).max(128).default('ocsf:closeout'),
  /** The channel GUID; a random one per process when unset. */
  AUDIT_HEC_CHANNEL: z.string().regex(guid, 'must be a GUID').optional(),
  /** Syslog RFC 5424 over TLS (RFC 5425) sink. */
  AUDIT_SYSLOG_ENABLED: flag,
  AUDIT_SYSLOG_HOST: z.string().min(1).max(253).optional(),
  AUDIT_SYSLOG_PORT: z.coerce.number().int().min(1).max(65535).default(6514),
  /** PEM file of the CA(s) the receiver's certificate must chain to; the only trust anchors used. */
  AUDIT_SYSLOG_CA_FILE: z.string().min(1).optional(),
  /** The name the receiver's certificate must carry; default AUDIT_SYSLOG_HOST. */
  AUDIT_SYSLOG_SERVERNAME: z.string().min(1).max(253).optional(),
  AUDIT_SYSLOG_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** A written frame counts as delivered once the connection has stayed up this long after its write flushed. */
  AUDIT_SYSLOG_CONFIRM_MS: ms(100, 600_000, 2_000),
  AUDIT_SYSLOG_CONNECT_TIMEOUT_MS: ms(100, 120_000, 10_000),
  AUDIT_SYSLOG_HOSTNAME: z.string().min(1).max(255).default(hostname()),
  AUDIT_SYSLOG_APP_NAME: z.string().min(1).max(48).default('closeout-audit'),
  /** The SD-ID of the structured data element: name@private-enterprise-number (32473 is RFC 5612's example). */
  AUDIT_SYSLOG_SD_ID: z
    .string()
    .regex(/^[!-~]{1,16}@\d{1,10}$/, 'must be name@enterprise-number')
    .default('closeout@32473'),
  /** How often an idle sink looks for new records. */
  AUDIT_EXPORT_POLL_MS: ms(20, 60_000, 500),
  /** Backoff cap after failures (503, refused connections, a bad token). */
  AUDIT_EXPORT_MAX_BACKOFF_MS: ms(100, 600_000, 30_000),
};

export const exportEnvSchema = z.object(exportEnvShape);
type ExportEnv = z.infer<typeof exportEnvSchema>;

export interface HecSinkConfig {
  url: string;
  token: string;
  ackTimeoutMs: number;
  ackPollMs: number;
  batchSize: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  index: string | undefined;
  sourcetype: string;
  channel: string | undefined;
}

export interface SyslogSinkConfig {
  host: string;
  port: number;
  caFile: string;
  servername: string;
  batchSize: number;
  confirmMs: number;
  connectTimeoutMs: number;
  hostname: string;
  appName: string;
  sdId: string;
}

export interface ExportConfig {
  hec: HecSinkConfig | null;
  syslog: SyslogSinkConfig | null;
  pollMs: number;
  maxBackoffMs: number;
}

export class ExportConfigError extends Error {
  constructor(readonly issues: { variable: string; rule: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.rule}`).join('\n')}`);
  }
}

/** The sinks' config from validated variables; throws naming each variable a turned-on sink lacks. */
export function exportConfigFrom(env: ExportEnv): ExportConfig {
  const issues: { variable: string; rule: string }[] = [];
  const need = (variable: keyof ExportEnv, value: unknown, sink: string): void => {
    if (value === undefined) issues.push({ variable, rule: `is required when ${sink} is true` });
  };
  if (env.AUDIT_HEC_ENABLED) {
    need('AUDIT_HEC_URL', env.AUDIT_HEC_URL, 'AUDIT_HEC_ENABLED');
    need('AUDIT_HEC_TOKEN', env.AUDIT_HEC_TOKEN, 'AUDIT_HEC_ENABLED');
    if (env.AUDIT_HEC_ACK_TIMEOUT_MS <= env.AUDIT_HEC_ACK_POLL_MS) {
      issues.push({
        variable: 'AUDIT_HEC_ACK_TIMEOUT_MS',
        rule: 'must be greater than AUDIT_HEC_ACK_POLL_MS',
      });
    }
  }
  if (env.AUDIT_SYSLOG_ENABLED) {
    need('AUDIT_SYSLOG_HOST', env.AUDIT_SYSLOG_HOST, 'AUDIT_SYSLOG_ENABLED');
    need('AUDIT_SYSLOG_CA_FILE', env.AUDIT_SYSLOG_CA_FILE, 'AUDIT_SYSLOG_ENABLED');
  }
  if (issues.length > 0) throw new ExportConfigError(issues);
  return {
    hec: env.AUDIT_HEC_ENABLED
      ? {
          url: env.AUDIT_HEC_URL!.replace(/\/+$/, ''),
          token: env.AUDIT_HEC_TOKEN!,
          ackTimeoutMs: env.AUDIT_HEC_ACK_TIMEOUT_MS,
          ackPollMs: env.AUDIT_HEC_ACK_POLL_MS,
          batchSize: env.AUDIT_HEC_BATCH_SIZE,
          maxInFlight: env.AUDIT_HEC_MAX_IN_FLIGHT,
          requestTimeoutMs: env.AUDIT_HEC_REQUEST_TIMEOUT_MS,
          index: env.AUDIT_HEC_INDEX,
          sourcetype: env.AUDIT_HEC_SOURCETYPE,
          channel: env.AUDIT_HEC_CHANNEL,
        }
      : null,
    syslog: env.AUDIT_SYSLOG_ENABLED
      ? {
          host: env.AUDIT_SYSLOG_HOST!,
          port: env.AUDIT_SYSLOG_PORT,
          caFile: env.AUDIT_SYSLOG_CA_FILE!,
          servername: env.AUDIT_SYSLOG_SERVERNAME ?? env.AUDIT_SYSLOG_HOST!,
          batchSize: env.AUDIT_SYSLOG_BATCH_SIZE,
          confirmMs: env.AUDIT_SYSLOG_CONFIRM_MS,
          connectTimeoutMs: env.AUDIT_SYSLOG_CONNECT_TIMEOUT_MS,
          hostname: env.AUDIT_SYSLOG_HOSTNAME,
          appName: env.AUDIT_SYSLOG_APP_NAME,
          sdId: env.AUDIT_SYSLOG_SD_ID,
        }
      : null,
    pollMs: env.AUDIT_EXPORT_POLL_MS,
    maxBackoffMs: env.AUDIT_EXPORT_MAX_BACKOFF_MS,
  };
}
