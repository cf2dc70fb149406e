import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** How a client talks to the brokers, named as Kafka's own `security.protocol`. */
export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];

/** The SASL mechanisms the client supports (kafkajs names). */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaSaslCredentials {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  /** Not enumerable: JSON, util.inspect and log serialisers do not see it; property access does. */
  readonly password: string;
}

export interface KafkaTlsSettings {
  /** PEM contents (not paths); absent means the platform's trusted CAs. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Verify the brokers' certificates and host names. Default true. */
  readonly rejectUnauthorized: boolean;
}

/** Resolved Kafka connection security: what the Kafka lib turns into its client's TLS and SASL options. */
export interface KafkaSecurity {
  readonly protocol: KafkaSecurityProtocol;
  /** Set for SASL_PLAINTEXT and SASL_SSL. */
  readonly sasl?: KafkaSaslCredentials;
  /** Set for SSL and SASL_SSL. */
  readonly tls?: KafkaTlsSettings;
}

const optionalText = z.string().min(1, 'must not be empty when set').optional();

/**
 * The Kafka security variables, each validated on its own; the rules between them (a SASL protocol needs a
 * mechanism, a user name and one password source; files must be readable) are `kafkaSecurityFromEnv`'s, which
 * loadConfig applies to every schema holding these variables.
 */
export const kafkaSecurityEnv = {
  KAFKA_SECURITY_PROTOCOL: z
    .enum(KAFKA_SECURITY_PROTOCOLS, { message: `must be one of ${KAFKA_SECURITY_PROTOCOLS.join(', ')}` })
    .default('PLAINTEXT'),
  KAFKA_SASL_MECHANISM: z
    .enum(KAFKA_SASL_MECHANISMS, { message: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` })
    .optional(),
  KAFKA_SASL_USERNAME: optionalText,
  /** Prefer KAFKA_SASL_PASSWORD_FILE (a mounted secret); never both. */
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_SASL_PASSWORD_FILE: optionalText,
  /** PEM files: the CA that signed the brokers' certificates, and the client's own certificate and key (mTLS). */
  KAFKA_SSL_CA_FILE: optionalText,
  KAFKA_SSL_CERT_FILE: optionalText,
  KAFKA_SSL_KEY_FILE: optionalText,
  // A boolean passes as is: kafkaSecurityFromEnv also reads a loaded config, where this is already parsed.
  KAFKA_SSL_REJECT_UNAUTHORIZED: z.preprocess(
    (v) => (typeof v === 'boolean' ? String(v) : v),
    z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
  ),
};

export type KafkaSecurityEnv = z.output<z.ZodObject<typeof kafkaSecurityEnv>>;

type Issue = { variable: string; rule: string };

/** Reads a file named by a variable; the error names the variable and the path, never the contents. */
function readNamedFile(variable: string, path: string, issues: Issue[]): string | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.trim() === '') issues.push({ variable, rule: `file ${path} is empty` });
    return text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    issues.push({ variable, rule: `cannot read file ${path} (${code})` });
    return undefined;
  }
}

/** The issues and the resolved settings of already parsed variables (see kafkaSecurityFromEnv). */
export function resolveKafkaSecurity(vars: KafkaSecurityEnv): { security?: KafkaSecurity; issues: Issue[] } {
  const issues: Issue[] = [];
  const protocol = vars.KAFKA_SECURITY_PROTOCOL;
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';

  let sasl: KafkaSaslCredentials | undefined;
  if (usesSasl) {
    const requires = `KAFKA_SECURITY_PROTOCOL=${protocol} requires`;
    if (!vars.KAFKA_SASL_MECHANISM)
      issues.push({ variable: 'KAFKA_SASL_MECHANISM', rule: `${requires} a mechanism (${KAFKA_SASL_MECHANISMS.join(', ')})` });
    if (!vars.KAFKA_SASL_USERNAME) issues.push({ variable: 'KAFKA_SASL_USERNAME', rule: `${requires} a user name` });
    let password: string | undefined;
    if (vars.KAFKA_SASL_PASSWORD && vars.KAFKA_SASL_PASSWORD_FILE) {
      issues.push({ variable: 'KAFKA_SASL_PASSWORD', rule: 'set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both' });
    } else if (vars.KAFKA_SASL_PASSWORD_FILE) {
      // A secret file usually ends with a newline that is not part of the password.
      password = readNamedFile('KAFKA_SASL_PASSWORD_FILE', vars.KAFKA_SASL_PASSWORD_FILE, issues)?.replace(/\r?\n$/, '');
    } else if (vars.KAFKA_SASL_PASSWORD) {
      password = vars.KAFKA_SASL_PASSWORD;
    } else {
      issues.push({ variable: 'KAFKA_SASL_PASSWORD', rule: `${requires} KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE` });
    }
    if (vars.KAFKA_SASL_MECHANISM && vars.KAFKA_SASL_USERNAME && password) {
      sasl = Object.defineProperty(
        { mechanism: vars.KAFKA_SASL_MECHANISM, username: vars.KAFKA_SASL_USERNAME },
        'password',
        { value: password, enumerable: false },
      ) as KafkaSaslCredentials;
    }
  } else {
    for (const variable of ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (vars[variable] !== undefined)
        issues.push({ variable, rule: `only applies with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL (it is ${protocol})` });
    }
  }

  let tls: KafkaTlsSettings | undefined;
  if (usesTls) {
    if (Boolean(vars.KAFKA_SSL_CERT_FILE) !== Boolean(vars.KAFKA_SSL_KEY_FILE))
      issues.push({ variable: vars.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE', rule: 'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE' });
    const file = (variable: 'KAFKA_SSL_CA_FILE' | 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE') => {
      const path = vars[variable];
      return path ? readNamedFile(variable, path, issues) : undefined;
    };
    const ca = file('KAFKA_SSL_CA_FILE');
    const cert = file('KAFKA_SSL_CERT_FILE');
    const key = file('KAFKA_SSL_KEY_FILE');
    tls = {
      rejectUnauthorized: vars.KAFKA_SSL_REJECT_UNAUTHORIZED,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    };
  } else {
    for (const variable of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
      if (vars[variable] !== undefined)
        issues.push({ variable, rule: `only applies with KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL (it is ${protocol})` });
    }
  }
  if (issues.length > 0) return { issues };
  return { issues, security: { protocol, ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) } };
}

/** Whether a parsed config holds the Kafka security variables (every schema built on baseEnvSchema does). */
export function hasKafkaSecurityVars(config: unknown): config is KafkaSecurityEnv {
  return typeof config === 'object' && config !== null && 'KAFKA_SECURITY_PROTOCOL' in config;
}
