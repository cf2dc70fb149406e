import { ConfigError } from '@closeout/config';
import { z } from 'zod';

const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string');

const rest = z.strictObject({
  protocol: z.literal('REST'),
  destination: nonEmpty,
  baseUrl: z.url({ message: 'must be a URL such as http://127.0.0.1:8091' }),
  token: nonEmpty.optional(),
  apiVersion: nonEmpty.default('2024-06-01'),
  pageSize: z.int().min(1).max(1000).default(1000),
});

const soap = z.strictObject({
  protocol: z.literal('SOAP'),
  destination: nonEmpty,
  wsdlUrl: z.url({ message: 'must be the WSDL URL, e.g. http://127.0.0.1:8092/CoreBankingService?wsdl' }),
  endpoint: z.url().optional(),
  healthUrl: z.url().optional(),
  maxResults: z.int().min(1).max(10_000).default(5_000),
});

const sftp = z.strictObject({
  protocol: z.literal('SFTP'),
  destination: nonEmpty,
  host: nonEmpty,
  port: z.int().min(1).max(65_535).default(22),
  username: nonEmpty,
  privateKeyPath: nonEmpty,
  hostPublicKeyPath: nonEmpty,
  /** The destination's folder as the SFTP client sees it; the daily posting reports are in `<remoteDir>/outbound`. */
  remoteDir: z.string().startsWith('/', 'must be an absolute path'),
  outboundDir: nonEmpty.default('outbound'),
});

export const extractConfigSchema = z.discriminatedUnion('protocol', [rest, soap, sftp], {
  error: 'protocol must be REST, SOAP or SFTP',
});
export type ExtractConfig = z.output<typeof extractConfigSchema>;
export type RestExtractConfig = Extract<ExtractConfig, { protocol: 'REST' }>;
export type SoapExtractConfig = Extract<ExtractConfig, { protocol: 'SOAP' }>;
export type SftpExtractConfig = Extract<ExtractConfig, { protocol: 'SFTP' }>;

/** RECONCILER_EXTRACTS, validated at boot; every problem names its path and rule. */
export function parseExtractConfigs(input: unknown): ExtractConfig[] {
  const parsed = z.array(extractConfigSchema, { error: 'must be an array of extract adapters' }).safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.reduce<string>(
          (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
          'RECONCILER_EXTRACTS',
        ),
        rule: issue.message,
      })),
    );
  }
  const seen = new Set<string>();
  for (const c of parsed.data) {
    if (seen.has(c.destination))
      throw new ConfigError([{ variable: 'RECONCILER_EXTRACTS', rule: `destination ${c.destination} is listed twice` }]);
    seen.add(c.destination);
  }
  return parsed.data;
}
