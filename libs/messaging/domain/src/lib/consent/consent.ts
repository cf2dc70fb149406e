/**
 * Consent per customer, channel and purpose. A grant is for one channel and one purpose; a revocation (an opt-out)
 * is for a purpose on every channel — or for every purpose (`ALL_PURPOSES`, a STOPALL). A channel is consented when
 * its latest grant is later than the latest revocation that covers it; a revocation and a grant at the same instant
 * is a revocation.
 */
import type { Channel } from '../channels';
import { MessagingPolicyError } from '../errors';
import type { ReplyIntent } from '../replies/detect-reply-intent';

/** A revocation's purpose that covers every purpose. */
export const ALL_PURPOSES = '*';

/** Where a consent record came from (for the audit trail). */
export type ConsentSource =
  | 'contract'
  | 'web-form'
  | 'branch'
  | 'agent'
  | 'preference-centre'
  | 'inbound-reply'
  | 'list-unsubscribe'
  | 'carrier'
  | 'import';

export interface ConsentRecord {
  status: 'GRANTED' | 'REVOKED';
  /** The channel the record was given on (for a revocation: where the customer said it; it covers every channel). */
  channel: Channel;
  /** The purpose it is for; `ALL_PURPOSES` only on a revocation. */
  purpose: string;
  source: ConsentSource;
  /** When it was given (ms since epoch). */
  at: number;
}

export type ConsentDecision =
  | { kind: 'consented'; source: ConsentSource; grantedAt: number }
  | { kind: 'suppressed'; reason: 'SUPPRESSED_NO_CONSENT' }
  | { kind: 'suppressed'; reason: 'SUPPRESSED_OPTED_OUT'; source: ConsentSource; revokedAt: number };

/** Validates consent records: a grant names one purpose. A refusal names `<field>[i].<key>`. */
export function validateConsentRecords(records: readonly ConsentRecord[], field = 'consents'): void {
  records.forEach((record, i) => {
    if (typeof record.purpose !== 'string' || record.purpose.length === 0)
      throw new MessagingPolicyError(
        'INVALID_CONSENT_RECORD',
        `${field}[${i}].purpose`,
        'must be a non-empty purpose',
      );
    if (record.status === 'GRANTED' && record.purpose === ALL_PURPOSES)
      throw new MessagingPolicyError(
        'INVALID_CONSENT_RECORD',
        `${field}[${i}].purpose`,
        `must name one purpose on a grant: only a revocation may cover every purpose (${ALL_PURPOSES})`,
      );
    if (!Number.isFinite(record.at))
      throw new MessagingPolicyError(
        'INVALID_CONSENT_RECORD',
        `${field}[${i}].at`,
        'must be an instant in ms since epoch',
      );
  });
}

/** The consent decision for sending on `channel` for `purpose` at `now` (records dated after now are not yet in force). */
export function checkConsent(input: {
  now: number;
  channel: Channel;
  purpose: string;
  records: readonly ConsentRecord[];
}): ConsentDecision {
  let grant: ConsentRecord | undefined;
  let revocation: ConsentRecord | undefined;
  for (const record of input.records) {
    if (record.at > input.now) continue;
    if (
      record.status === 'REVOKED' &&
      (record.purpose === input.purpose || record.purpose === ALL_PURPOSES)
    ) {
      if (!revocation || record.at > revocation.at) revocation = record;
    } else if (
      record.status === 'GRANTED' &&
      record.purpose === input.purpose &&
      record.channel === input.channel
    ) {
      if (!grant || record.at > grant.at) grant = record;
    }
  }
  if (revocation && (!grant || grant.at <= revocation.at))
    return {
      kind: 'suppressed',
      reason: 'SUPPRESSED_OPTED_OUT',
      source: revocation.source,
      revokedAt: revocation.at,
    };
  if (!grant) return { kind: 'suppressed', reason: 'SUPPRESSED_NO_CONSENT' };
  return { kind: 'consented', source: grant.source, grantedAt: grant.at };
}

/**
 * The consent record an inbound reply makes, if any: an opt-out revokes the purpose of the message replied to (every
 * purpose for STOPALL); an opt-in keyword grants that channel and purpose again. `none` makes none.
 */
export function consentRecordFromReply(
  intent: ReplyIntent,
  context: { channel: Channel; purpose: string; at: number },
): ConsentRecord | undefined {
  switch (intent.kind) {
    case 'opt-out':
      return {
        status: 'REVOKED',
        channel: context.channel,
        purpose: intent.via === 'keyword' && intent.keyword === 'STOPALL' ? ALL_PURPOSES : context.purpose,
        source: 'inbound-reply',
        at: context.at,
      };
    case 'opt-in':
      return {
        status: 'GRANTED',
        channel: context.channel,
        purpose: context.purpose,
        source: 'inbound-reply',
        at: context.at,
      };
    case 'none':
      return undefined;
  }
}
