import { MappingNotFoundError, WireValidationError } from '../errors';
import {
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_API_V2025_01_15,
  CORE_BANKING_REST,
  coreBankingRestMappings,
} from './core-banking-rest';
import { getMapping } from './default-registry';
import { defineMapping } from './mapping';
import { MappingRegistry } from './mapping-registry';
import { validateWire } from './wire-validation';

const payment = {
  accountId: '4000123456',
  amount: { amountMinor: 12550, currency: 'GBP' },
  paymentMethodToken: 'pm_tok_1',
  reference: 'R-1',
};

describe('mapping registry', () => {
  it('maps all six operations for core-banking-rest v1', () => {
    for (const operation of [
      'payment.post',
      'card.update',
      'arrangement.create',
      'address.update',
      'document.attach',
      'flag.clear',
    ]) {
      const mapping = getMapping(CORE_BANKING_REST, operation, '1');
      expect(mapping).toMatchObject({ kind: 'json', wireVersion: CORE_BANKING_API_V2024_06_01 });
      expect(mapping.target).toMatch(/^POST \/api\/[a-z]+$/);
    }
  });

  it('keeps payment.post v1 unchanged when v2 reshapes it for the newer API', () => {
    const registry = new MappingRegistry(coreBankingRestMappings);
    const v1 = registry.toWire(registry.get(CORE_BANKING_REST, 'payment.post', '1'), payment);
    const v2 = registry.toWire(registry.get(CORE_BANKING_REST, 'payment.post', '2'), payment);
    expect(v1.wireVersion).toBe(CORE_BANKING_API_V2024_06_01);
    expect(v2.wireVersion).toBe(CORE_BANKING_API_V2025_01_15);
    expect(v1.body).toMatchObject({ account_number: '4000123456', amount: { value_minor: 12550 } });
    expect(v2.body).toMatchObject({ account: { number: '4000123456' }, amount: { minor_units: 12550 } });
    expect(v2.mapping).toEqual({ destination: CORE_BANKING_REST, operation: 'payment.post', version: '2' });
  });

  it.each([
    [
      'an unknown destination',
      'core-banking-mainframe',
      'payment.post',
      '1',
      'no mappings for destination "core-banking-mainframe" (known destinations: core-banking-rest, core-banking-sftp, core-banking-soap)',
    ],
    [
      'an unknown operation',
      CORE_BANKING_REST,
      'payment.refund',
      '1',
      'destination "core-banking-rest" has no mapping for operation "payment.refund"',
    ],
    [
      'an unknown version',
      CORE_BANKING_REST,
      'card.update',
      '2',
      'destination "core-banking-rest" operation "card.update" has no mapping version "2" (versions: 1)',
    ],
  ])('names what is missing for %s', (_what, destination, operation, version, message) => {
    let thrown: unknown;
    try {
      getMapping(destination, operation, version);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MappingNotFoundError);
    expect((thrown as MappingNotFoundError).message).toContain(message);
    expect((thrown as MappingNotFoundError).errorClass).toBe('VALIDATION');
  });

  it('refuses to register a version twice: published versions never change', () => {
    const registry = new MappingRegistry(coreBankingRestMappings);
    expect(() => registry.register(coreBankingRestMappings[0]!)).toThrow('is already registered');
  });

  it('refuses a wire schema with a typo at registration, not at send', () => {
    const broken = defineMapping({
      destination: 'x',
      operation: 'flag.clear',
      version: '1',
      kind: 'json',
      target: 'POST /flags',
      wireVersion: '1',
      wireSchema: { type: 'object', requierd: ['a'] },
      toWire: (p) => p,
    });
    expect(() => new MappingRegistry([broken])).toThrow(/requierd/);
  });

  it('stops a mapping bug before sending, naming the wire field', () => {
    const buggy = defineMapping({
      destination: 'x',
      operation: 'payment.post',
      version: '1',
      kind: 'json',
      target: 'POST /payments',
      wireVersion: '1',
      wireSchema: coreBankingRestMappings[0]!.wireSchema,
      // The bug: a float in major units where the core expects integer minor units.
      toWire: (p) => ({
        account_number: p.accountId,
        amount: { value_minor: p.amount.amountMinor / 100, currency: p.amount.currency },
        payment_token: p.paymentMethodToken,
        external_reference: p.reference,
      }),
    });
    const registry = new MappingRegistry([buggy]);
    expect(() =>
      registry.toWire(buggy, { ...payment, amount: { amountMinor: 12550, currency: 'GBP' } }),
    ).toThrow(new WireValidationError([{ path: 'wire.amount.value_minor', rule: 'must be integer' }]));
  });

  it('reports every wire problem with its path', () => {
    const mapping = getMapping(CORE_BANKING_REST, 'address.update', '1');
    let thrown: unknown;
    try {
      validateWire(mapping, {
        customer_number: 'C 1',
        address: { line_1: '', city: 'Leith', country_code: 'gb', extra: 1 },
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WireValidationError);
    expect((thrown as WireValidationError).issues).toEqual(
      expect.arrayContaining([
        { path: 'wire.customer_number', rule: 'must match pattern "^\\S{1,64}$"' },
        { path: 'wire.address.postal_code', rule: 'is required' },
        { path: 'wire.address.extra', rule: 'is not a field of the wire schema' },
        { path: 'wire.address.line_1', rule: 'must NOT have fewer than 1 characters' },
        { path: 'wire.address.country_code', rule: 'must match pattern "^[A-Z]{2}$"' },
      ]),
    );
  });

  it('holds SOAP and batch-record mappings beside REST ones without changes to the core', () => {
    const soap = defineMapping({
      destination: 'legacy-core-soap',
      operation: 'flag.clear',
      version: '1',
      kind: 'soap',
      target: 'ClearAccountFlag',
      wireVersion: 'wsdl-3.2',
      wireSchema: {
        type: 'object',
        required: ['AccountNo', 'FlagCd'],
        properties: { AccountNo: { type: 'string' }, FlagCd: { type: 'string' } },
      },
      toWire: (p) => ({ AccountNo: p.accountId, FlagCd: p.flag }),
    });
    const record = defineMapping({
      destination: 'mainframe-batch',
      operation: 'flag.clear',
      version: '1',
      kind: 'record',
      target: 'FLGCLR',
      wireVersion: 'layout-7',
      wireSchema: { type: 'array', items: { type: 'string' } },
      toWire: (p) => [p.accountId.padEnd(20), p.flag.padEnd(10)],
    });
    const registry = new MappingRegistry([soap, record]);
    const payload = { accountId: 'A1', flag: 'HOLD', reason: 'paid' };
    expect(registry.toWire(registry.get('legacy-core-soap', 'flag.clear', '1'), payload)).toMatchObject({
      kind: 'soap',
      target: 'ClearAccountFlag',
      body: { AccountNo: 'A1', FlagCd: 'HOLD' },
    });
    expect(registry.toWire(registry.get('mainframe-batch', 'flag.clear', '1'), payload).body).toEqual([
      'A1'.padEnd(20),
      'HOLD'.padEnd(10),
    ]);
  });
});
