import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { kafkaSecurityFromEnv, type KafkaSecurity } from '@closeout/config';

/** Where the brokers are and how to talk to them: what every client of the cluster needs, services and tools alike. */
export interface KafkaConnection {
  brokers: string[];
  /** TLS and SASL; absent means PLAINTEXT. */
  security?: KafkaSecurity;
}

/**
 * kafkajs's `ssl` and `sasl` client options for the given security: TLS for SSL and SASL_SSL (the CA, client
 * certificate and key as PEM, broker verification on unless turned off), SASL for SASL_PLAINTEXT and SASL_SSL.
 * Spread into `new Kafka({ clientId, brokers, ...kafkajsSecurity(security) })`.
 */
export function kafkajsSecurity(security: KafkaSecurity | undefined): {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
} {
  if (!security) return {};
  const options: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (security.tls) {
    const { ca, cert, key, rejectUnauthorized } = security.tls;
    options.ssl = {
      rejectUnauthorized,
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }
  if (security.sasl) {
    const { mechanism, username } = security.sasl;
    // The password stays non-enumerable (see KafkaSaslCredentials): kafkajs reads it, loggers do not see it.
    options.sasl = Object.defineProperty({ mechanism, username }, 'password', {
      value: security.sasl.password,
      enumerable: false,
    }) as SASLOptions;
  }
  return options;
}

/**
 * The connection scripts, tools and tests use: KAFKA_BROKERS (default `fallbackBrokers`) and the same security
 * variables and rules as the services' config (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*; see
 * @closeout/config). Throws ConfigError on an invalid combination.
 */
export function kafkaConnectionFromEnv(
  env: Record<string, string | undefined> = process.env,
  fallbackBrokers?: string,
): Required<KafkaConnection> {
  const brokers = env['KAFKA_BROKERS'] ?? fallbackBrokers;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set');
  return {
    brokers: brokers.split(',').map((b) => b.trim()),
    security: kafkaSecurityFromEnv(env),
  };
}

/** kafkajs client options (brokers, ssl, sasl) of a connection: `new Kafka({ clientId, ...kafkajsConnection(c) })`. */
export function kafkajsConnection(connection: KafkaConnection): {
  brokers: string[];
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
} {
  return { brokers: connection.brokers, ...kafkajsSecurity(connection.security) };
}
