import { z } from 'zod';

/**
 * What a system of record promises about retries and reads, declared per destination whatever its protocol. Nothing
 * is assumed in the destination's favour: a core nobody described is taken not to de-duplicate, and its lookups to
 * trail its writes by the default bound.
 */
export const destinationSemanticsShape = {
  /**
   * Whether the destination de-duplicates on our idempotency key (a resubmitted key is answered with the original
   * posting). Only then is re-sending after a failure that may have reached it harmless; otherwise such a failure is
   * resolved by lookup first.
   */
  honoursIdempotencyKey: z.boolean({ error: 'must be a boolean' }).default(false),
  /**
   * The destination's read-visibility bound, in ms: how long after a send started its posting may still be missing
   * from the lookup (processing time plus the lag of the replica or index the lookup reads). A "not found" earlier
   * than that is never taken as final.
   */
  lookupVisibilityMs: z
    .int({ error: 'must be an integer from 0 to 3600000' })
    .min(0, 'must be an integer from 0 to 3600000')
    .max(3_600_000, 'must be an integer from 0 to 3600000')
    .default(10_000),
  /**
   * Believe a success answer only once the destination's lookup names the same posting for our key: for a core or a
   * proxy whose answers have carried other requests' references. One more call per write.
   */
  confirmAnswersByLookup: z.boolean({ error: 'must be a boolean' }).default(false),
  /** The most bytes read of any one answer; a longer answer is cut off and its outcome treated as unknown. */
  maxAnswerBytes: z
    .int({ error: 'must be an integer from 1024 to 67108864' })
    .min(1_024, 'must be an integer from 1024 to 67108864')
    .max(64 * 1024 * 1024, 'must be an integer from 1024 to 67108864')
    .default(1024 * 1024),
};

export type DestinationSemantics = {
  [K in keyof typeof destinationSemanticsShape]: z.output<(typeof destinationSemanticsShape)[K]>;
};

/** The longest provider reference believed: a destination's transaction id is an identifier, not a document. */
export const MAX_PROVIDER_REF_CHARS = 128;

/**
 * A provider reference as an answer gave it, or undefined when it cannot be one (empty, too long, control characters):
 * such an answer is not evidence of a posting we could ever find again.
 */
export function plausibleProviderRef(value: unknown): string | undefined {
  return typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_PROVIDER_REF_CHARS &&
    // eslint-disable-next-line no-control-regex
    !/[\x00-\x1f\x7f]/.test(value)
    ? value
    : undefined;
}

/** Text from a destination (an error code, a reason), cut to `max` characters for the ledger, logs and audit. */
export function boundedText(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}
