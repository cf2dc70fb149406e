import { z } from 'zod';
import {
  destinationSemanticsShape,
  parseDestinationList,
  parseOneDestination,
} from '@closeout/writeback-core';
import { DEFAULT_SOAP_FAULT_MAP, SOAP_FAULT_ERROR_CLASSES } from './classify-soap-fault';

/**
 * One SOAP system of record, as the writeback-soap service is configured with it. Validated once at boot; every
 * problem is reported with its field path and rule (never its value: the auth fields are secrets).
 */

const nonEmpty = (rule = 'must be a non-empty string') => z.string({ error: rule }).min(1, rule);

const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** Unknown fields are rejected: a misspelt optional field would otherwise be dropped and its default used silently. */
const strict = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : 'must be an object',
  });

const authSchema = z.discriminatedUnion(
  'type',
  [
    strict({ type: z.literal('none') }),
    strict({
      type: z.literal('basic'),
      // RFC 7617: the first colon separates user from password.
      username: nonEmpty().regex(/^[^:]*$/, 'must not contain ":"'),
      password: nonEmpty(),
    }),
    strict({
      type: z.literal('wsse'),
      username: nonEmpty(),
      password: nonEmpty(),
      passwordType: z
        .enum(['PasswordText', 'PasswordDigest'], { error: 'must be PasswordText or PasswordDigest' })
        .default('PasswordDigest'),
    }),
  ],
  { error: 'must be one of none, basic, wsse' },
);

const faultMapEntrySchema = strict({
  code: nonEmpty().optional(),
  faultStringPattern: nonEmpty()
    .refine(
      (pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a valid regular expression' },
    )
    .optional(),
  errorClass: z.enum(SOAP_FAULT_ERROR_CLASSES, {
    error: `must be one of ${SOAP_FAULT_ERROR_CLASSES.join(', ')}`,
  }),
  sent: z.boolean({ error: 'must be a boolean' }).optional(),
}).refine((e) => e.code !== undefined || e.faultStringPattern !== undefined, {
  message:
    'must give code or faultStringPattern (a row matching every fault would hide the unmapped-fault rule)',
});

export const soapDestinationConfigSchema = strict({
  /** The destination's name in `WritebackRequested.destination`, the ledger and the metrics. */
  name: nonEmpty(),
  /** Where the WSDL is fetched from; or `wsdlPath`, a file shipped with the service. */
  wsdlUrl: httpUrl().optional(),
  wsdlPath: nonEmpty().optional(),
  /** The endpoint writes go to; overrides the WSDL's address (which often names a host inside the bank). */
  endpoint: httpUrl().optional(),
  /** What `probe()` reads; defaults to the WSDL URL, else `${endpoint}?wsdl`. */
  healthUrl: httpUrl().optional(),
  soapVersion: z.enum(['1.1', '1.2'], { error: 'must be "1.1" or "1.2"' }),
  /** The WSDL version this destination is pinned to; a mapping targeting any other is refused before sending. */
  wsdlVersion: nonEmpty(),
  timeouts: strict({
    /** Establishing a new connection; nothing can have been sent until it succeeds. */
    connectMs: positiveInt(2_000),
    /** The whole exchange, to the last byte of the answer. */
    requestMs: positiveInt(5_000),
  }).prefault({}),
  auth: authSchema.default({ type: 'none' }),
  /** Rows tried before the default CB-* table; a fault matching no row is AMBIGUOUS. */
  faultMap: z.array(faultMapEntrySchema, { error: 'must be an array of fault map rows' }).default([]),
  /**
   * Use another destination's mappings (same system, another environment or endpoint: UAT next to production,
   * a harness instance next to the main one). Defaults to this destination's own name.
   */
  mappingsOf: z
    .string({ error: 'must be a destination name' })
    .min(1, 'must be a destination name')
    .optional(),
  ...destinationSemanticsShape,
  /** WriteResult.Status values that mean the core refused the request (a VALIDATION failure with the core's words). */
  rejectedStatuses: z
    .array(nonEmpty(), { error: 'must be an array of status values' })
    .default(['REJECTED', 'DECLINED', 'FAILED']),
  /** WriteResult.Status values that mean posted; any other status is an answer nobody documented: unknown. */
  appliedStatuses: z
    .array(nonEmpty(), { error: 'must be an array of status values' })
    .min(1, 'must list at least one status')
    .default(['POSTED', 'ACCEPTED', 'COMPLETED']),
})
  .refine((c) => (c.wsdlUrl === undefined) !== (c.wsdlPath === undefined), {
    path: ['wsdlUrl'],
    message: 'give exactly one of wsdlUrl and wsdlPath',
  })
  .refine((c) => c.endpoint !== undefined || c.wsdlUrl !== undefined || c.healthUrl !== undefined, {
    path: ['healthUrl'],
    message: 'is required when neither wsdlUrl nor endpoint says where to probe',
  });

/** A destination's settings as written in configuration (defaults still to apply). */
export type SoapDestinationConfigInput = z.input<typeof soapDestinationConfigSchema>;
/** A validated destination, defaults applied. */
export type SoapDestinationConfig = z.output<typeof soapDestinationConfigSchema>;
export type SoapDestinationAuth = SoapDestinationConfig['auth'];

/** The destination's own fault rows, then the default CB-* table. */
export function effectiveFaultMap(config: SoapDestinationConfig): SoapDestinationConfig['faultMap'] {
  return [...config.faultMap, ...DEFAULT_SOAP_FAULT_MAP];
}

/** Validates the SOAP destinations of a service; throws a `ConfigError` naming every failing field and its rule. */
export function parseSoapDestinations(input: unknown): SoapDestinationConfig[] {
  return parseDestinationList(soapDestinationConfigSchema, input, 'SOAP destinations');
}

/** Validates one destination; problems are named from `destination` (e.g. `destination.timeouts.connectMs`). */
export function parseSoapDestination(input: unknown): SoapDestinationConfig {
  return parseOneDestination(soapDestinationConfigSchema, input);
}
