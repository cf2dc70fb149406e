import type { AnySchemaObject } from 'ajv';
import { defineMapping, type AnyWritebackMapping } from '../mapping';
import { accountNumber, currencyCode, nonEmptyString, object } from '../core-banking-rest/wire-schema-parts';

/**
 * The `core-banking-soap` destination: a legacy core's SOAP service (CoreBankingService, WSDL 2019.2; see
 * tools/simulators/soap-core). Wire bodies are the operation's arguments as the SOAP client serialises them
 * (document/literal, element names as in the WSDL). The idempotency key and the client correlation id travel in
 * the SOAP header, added by the SOAP adapter, never in these bodies.
 */
export const CORE_BANKING_SOAP = 'core-banking-soap';
/** The WSDL version every mapping below conforms to; the destination's config pins the same. */
export const CORE_BANKING_WSDL_2019_2 = 'CoreBankingService-2019.2';

const amount: AnySchemaObject = object({
  MinorUnits: { type: 'integer', minimum: 1 },
  CurrencyCode: currencyCode,
});

export const soapPaymentPostV1 = defineMapping({
  destination: CORE_BANKING_SOAP,
  operation: 'payment.post',
  version: '1',
  kind: 'soap',
  target: 'PostPayment',
  wireVersion: CORE_BANKING_WSDL_2019_2,
  wireSchema: object({
    AccountNumber: accountNumber,
    Amount: amount,
    PaymentToken: nonEmptyString(128),
    ExternalReference: nonEmptyString(64),
  }),
  toWire: (p) => ({
    AccountNumber: p.accountId,
    Amount: { MinorUnits: p.amount.amountMinor, CurrencyCode: p.amount.currency },
    PaymentToken: p.paymentMethodToken,
    ExternalReference: p.reference,
  }),
});

export const soapArrangementCreateV1 = defineMapping({
  destination: CORE_BANKING_SOAP,
  operation: 'arrangement.create',
  version: '1',
  kind: 'soap',
  target: 'CreateArrangement',
  wireVersion: CORE_BANKING_WSDL_2019_2,
  wireSchema: object({
    AccountNumber: accountNumber,
    InstallmentCount: { type: 'integer', minimum: 1 },
    FirstDueDate: { type: 'string', format: 'date' },
    InstallmentAmount: amount,
  }),
  toWire: (p) => ({
    AccountNumber: p.accountId,
    InstallmentCount: p.installments,
    FirstDueDate: p.firstDueDate,
    InstallmentAmount: {
      MinorUnits: p.amountPerInstallment.amountMinor,
      CurrencyCode: p.amountPerInstallment.currency,
    },
  }),
});

export const soapAddressUpdateV1 = defineMapping({
  destination: CORE_BANKING_SOAP,
  operation: 'address.update',
  version: '1',
  kind: 'soap',
  target: 'UpdateAddress',
  wireVersion: CORE_BANKING_WSDL_2019_2,
  wireSchema: object(
    {
      CustomerNumber: { type: 'string', pattern: '^\\S{1,64}$' },
      Line1: nonEmptyString(100),
      Line2: nonEmptyString(100),
      City: nonEmptyString(64),
      PostalCode: nonEmptyString(16),
      CountryCode: { type: 'string', pattern: '^[A-Z]{2}$' },
    },
    ['Line2'],
  ),
  toWire: (p) => ({
    CustomerNumber: p.customerId,
    Line1: p.line1,
    // Element order follows the WSDL sequence; an absent second line is an absent element.
    ...(p.line2 === undefined ? {} : { Line2: p.line2 }),
    City: p.city,
    PostalCode: p.postalCode,
    CountryCode: p.country,
  }),
});

export const soapFlagClearV1 = defineMapping({
  destination: CORE_BANKING_SOAP,
  operation: 'flag.clear',
  version: '1',
  kind: 'soap',
  target: 'ClearFlag',
  wireVersion: CORE_BANKING_WSDL_2019_2,
  wireSchema: object({
    AccountNumber: accountNumber,
    FlagCode: nonEmptyString(64),
    Reason: nonEmptyString(500),
  }),
  toWire: (p) => ({ AccountNumber: p.accountId, FlagCode: p.flag, Reason: p.reason }),
});

/** Every mapping of the `core-banking-soap` destination. */
export const coreBankingSoapMappings: readonly AnyWritebackMapping[] = [
  soapPaymentPostV1,
  soapArrangementCreateV1,
  soapAddressUpdateV1,
  soapFlagClearV1,
];
