import { baseEnvSchema } from '@closeout/config';
import { dbSchemaEnv, jsonEnv, writebackServiceEnv } from '@closeout/writeback-core';
import type { z } from 'zod';

/**
 * writeback-soap's settings: the shared writeback settings, plus the SOAP destinations (pinned WSDL and version,
 * endpoint, SOAP 1.1 or 1.2, timeouts, auth, the vendor fault table) as one JSON array, validated field by field
 * when the service builds them (see SoapDestination's config). In a deployment it comes from a secret.
 */
export const configSchema = baseEnvSchema.extend({
  ...writebackServiceEnv,
  WRITEBACK_SOAP_DESTINATIONS: jsonEnv('an array of SOAP destinations'),
  WRITEBACK_DB_SCHEMA: dbSchemaEnv.default('writeback_soap'),
});

export type Config = z.infer<typeof configSchema>;
