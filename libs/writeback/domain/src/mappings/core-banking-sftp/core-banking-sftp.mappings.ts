import { defineMapping, type AnyWritebackMapping } from '../mapping';
import { currencyCode, nonEmptyString, object } from '../core-banking-rest/wire-schema-parts';

/**
 * The `core-banking-sftp` destination: a batch core that ingests files dropped on its SFTP server (see
 * tools/simulators/sftp-core). A wire body is one record of the batch file's layout, column by column, as text;
 * the idempotency key and record type columns are added by the SFTP adapter, never by a mapping.
 */
export const CORE_BANKING_SFTP = 'core-banking-sftp';
/** The batch file layout the mappings below produce; the destination's config pins the same. */
export const LAYOUT_PAYMENTS_V1 = 'payments-v1';

export const sftpPaymentPostV1 = defineMapping({
  destination: CORE_BANKING_SFTP,
  operation: 'payment.post',
  version: '1',
  kind: 'record',
  target: 'PAYMENT',
  wireVersion: LAYOUT_PAYMENTS_V1,
  wireSchema: object({
    account_number: { type: 'string', pattern: '^[A-Za-z0-9-]{1,34}$' },
    // Digits only: money stays integer minor units, written as text so no float touches it.
    amount_minor: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' },
    currency: currencyCode,
    reference: nonEmptyString(64),
  }),
  toWire: (p) => ({
    account_number: p.accountId,
    amount_minor: String(p.amount.amountMinor),
    currency: p.amount.currency,
    reference: p.reference,
  }),
});

/** Every mapping of the `core-banking-sftp` destination. */
export const coreBankingSftpMappings: readonly AnyWritebackMapping[] = [sftpPaymentPostV1];
