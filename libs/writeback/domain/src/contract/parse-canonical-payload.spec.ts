import type { WritebackRequested } from '@closeout/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors';
import { requestFingerprint } from '../fingerprint';
import { CONTRACT_VERSION } from './contract-version';
import { WRITEBACK_OPERATIONS } from './operations';
import {
  parseCanonicalPayload,
  parseWritebackRequest,
  validateCanonicalPayload,
} from './parse-canonical-payload';

const fixtures = join(__dirname, 'fixtures');

/** [operation, file name, parsed file] for every fixture under fixtures/<kind>/<operation>/. */
function load(kind: 'ok' | 'not-ok'): [string, string, unknown][] {
  return readdirSync(join(fixtures, kind)).flatMap((operation) =>
    readdirSync(join(fixtures, kind, operation)).map((file): [string, string, unknown] => [
      operation,
      file,
      JSON.parse(readFileSync(join(fixtures, kind, operation, file), 'utf8')),
    ]),
  );
}

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('canonical contract v1', () => {
  it('is version "1"', () => {
    expect(CONTRACT_VERSION).toBe('1');
  });

  it('has an accepted fixture for every operation', () => {
    expect(new Set(load('ok').map(([operation]) => operation))).toEqual(new Set(WRITEBACK_OPERATIONS));
  });

  describe.each(load('ok'))('fixtures/ok/%s/%s', (operation, _file, payload) => {
    it('parses into the same content', () => {
      expect(parseCanonicalPayload(operation, JSON.stringify(payload))).toEqual(payload);
    });
  });

  describe.each(load('not-ok'))('fixtures/not-ok/%s/%s', (operation, _file, fixture) => {
    const { expectedIssues, payload } = fixture as { expectedIssues: string[]; payload: unknown };

    it('is rejected with a ValidationError naming each field and rule', () => {
      const error = validationErrorOf(() => parseCanonicalPayload(operation, JSON.stringify(payload)));
      expect(error.issues.map((i) => `${i.path}: ${i.rule}`)).toEqual(expectedIssues);
      expect(error.message).toBe(expectedIssues.join('; '));
      expect(error.errorClass).toBe('VALIDATION');
      expect(error.sent).toBe(false);
    });
  });

  it('never echoes a card number it rejects', () => {
    const error = validationErrorOf(() =>
      validateCanonicalPayload('card.update', {
        accountId: 'A1',
        cardToken: '4111 1111 1111 1111',
        expiryMonth: 1,
        expiryYear: 2030,
      }),
    );
    expect(error.message).toContain('payload.cardToken');
    expect(error.message).not.toMatch(/4111/);
  });

  it('accepts a long processor token whose digits do not form a PAN-length run', () => {
    const payload = {
      accountId: 'A1',
      cardToken: 'tok_1234567890_abcdef_123456789012',
      expiryMonth: 1,
      expiryYear: 2030,
    };
    expect(validateCanonicalPayload('card.update', payload)).toEqual(payload);
  });

  it('lets a workflow raise the installment limit', () => {
    const payload = {
      accountId: 'A1',
      installments: 12,
      firstDueDate: '2025-01-31',
      amountPerInstallment: { amountMinor: 100, currency: 'EUR' },
    };
    expect(() => validateCanonicalPayload('arrangement.create', payload)).toThrow(
      'payload.installments: must be an integer from 1 to 6',
    );
    expect(validateCanonicalPayload('arrangement.create', payload, { maxInstallments: 12 })).toEqual(payload);
  });

  it('rejects text that is not JSON, saying so at payload', () => {
    const error = validationErrorOf(() => parseCanonicalPayload('flag.clear', '{"accountId":'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('payload');
    expect(error.issues[0]?.rule).toMatch(/^must be valid JSON/);
  });

  it('rejects an unknown operation, listing the known ones', () => {
    expect(() => parseCanonicalPayload('payment.refund', '{}')).toThrow(
      'operation: must be one of payment.post, card.update, arrangement.create, address.update, document.attach, flag.clear (got "payment.refund")',
    );
  });
});

describe('parseWritebackRequest', () => {
  const payload = { accountId: 'A1', flag: 'COLLECTIONS_HOLD', reason: 'paid' };
  const request: WritebackRequested = {
    eventId: 'evt-1',
    occurredAt: 1_718_000_000_000,
    correlationId: 'case-1',
    causationId: null,
    idempotencyKey: 'wb_x',
    destination: 'core-banking-rest',
    protocol: 'REST',
    operation: 'flag.clear',
    caseId: 'case-1',
    workflowId: 'failed-payment-recovery',
    contractVersion: '1',
    mappingVersion: '1',
    payloadJson: JSON.stringify(payload),
    consentRef: null,
    requestedAt: 1_718_000_000_000,
  };

  it('returns the typed payload and its fingerprint', () => {
    const parsed = parseWritebackRequest(request);
    expect(parsed.operation).toBe('flag.clear');
    expect(parsed.payload).toEqual(payload);
    expect(parsed.fingerprint).toBe(
      requestFingerprint({ destination: 'core-banking-rest', operation: 'flag.clear', payload }),
    );
  });

  it('rejects another contract version before looking at the payload', () => {
    expect(() =>
      parseWritebackRequest({ ...request, contractVersion: '2', payloadJson: 'not json' }),
    ).toThrow('contractVersion: must be "1" (got "2")');
  });
});
