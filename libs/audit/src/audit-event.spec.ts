import {
  AUDIT_LIMITS,
  AuditFieldError,
  auditMessage,
  buildAuditEvent,
  buildAuditMessage,
  finishAuditEvent,
  isCaseScoped,
  mayHoldPersonalData,
  type AuditInput,
} from './audit-event';
import fc from 'fast-check';
import { findContactPoints, findPans } from '@closeout/privacy';
import { Topics, type AuditEvent } from '@closeout/contracts';

const input: AuditInput = {
  actor: { type: 'SERVICE', id: 'writeback-rest' },
  action: 'writeback.applied',
  outcome: 'SUCCESS',
  reason: 'destination confirmed posting',
  correlationId: 'corr-1',
  caseId: 'case-1',
  versions: { contract: '1', mapping: '2' },
  references: { idempotencyKey: 'wb_abc', providerRef: 'TX-9' },
};

/** The field and rule an AuditFieldError names, or a failure when nothing was thrown. */
function refusal(build: () => unknown): { code: string; field: string | undefined; rule: string } {
  try {
    build();
  } catch (error) {
    if (!(error instanceof AuditFieldError)) throw error;
    return { code: error.code, field: error.field, rule: error.rule };
  }
  throw new Error('expected an AuditFieldError');
}

describe('buildAuditEvent', () => {
  it('answers who, what, when, where and why with the versions and references given', () => {
    const event = buildAuditEvent('writeback-rest', input, () => 1_700_000_000_000);
    expect(event).toMatchObject({
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      action: 'writeback.applied',
      outcome: 'SUCCESS',
      occurredAt: 1_700_000_000_000,
      service: 'writeback-rest',
      reason: 'destination confirmed posting',
      correlationId: 'corr-1',
      causationId: null,
      caseId: 'case-1',
      versions: { contract: '1', mapping: '2' },
      references: { idempotencyKey: 'wb_abc', providerRef: 'TX-9' },
    });
    expect(event.host.length).toBeGreaterThan(0);
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(['action', 'reason', 'correlationId'] as const)(
    'refuses an event without %s, naming it',
    (field) => {
      expect(refusal(() => buildAuditEvent('svc', { ...input, [field]: ' ' }))).toEqual({
        code: 'AUDIT_FIELD_MISSING',
        field,
        rule: 'is required and must not be empty in an audit event',
      });
    },
  );

  it('refuses an event without an actor id or service', () => {
    expect(refusal(() => buildAuditEvent('svc', { ...input, actor: { type: 'AGENT', id: '' } })).field).toBe(
      'actor.id',
    );
    expect(refusal(() => buildAuditEvent('', input)).field).toBe('service');
  });

  it('refuses an unknown outcome or actor type, and an action not shaped <entity>.<verb>', () => {
    const outcome = refusal(() => buildAuditEvent('svc', { ...input, outcome: 'MAYBE' as never }));
    expect(outcome).toMatchObject({ code: 'AUDIT_FIELD_INVALID', field: 'outcome' });
    expect(outcome.rule).toContain('SUCCESS, FAILURE, DENIED, PENDING');
    expect(
      refusal(() => buildAuditEvent('svc', { ...input, actor: { type: 'ROBOT' as never, id: 'x' } })).field,
    ).toBe('actor.type');
    expect(refusal(() => buildAuditEvent('svc', { ...input, action: 'Applied' })).field).toBe('action');
  });

  it('refuses a time that is not ms since the epoch', () => {
    expect(refusal(() => buildAuditEvent('svc', input, () => Number.NaN)).field).toBe('occurredAt');
    expect(refusal(() => buildAuditEvent('svc', input, () => -1)).field).toBe('occurredAt');
    expect(refusal(() => buildAuditEvent('svc', input, () => 1.5)).field).toBe('occurredAt');
  });

  it('requires a caseId for a case-scoped action, not for one that may precede any case', () => {
    expect(refusal(() => buildAuditEvent('svc', { ...input, caseId: null }))).toMatchObject({
      code: 'AUDIT_FIELD_MISSING',
      field: 'caseId',
      rule: 'is required for a case-scoped action (writeback.*)',
    });
    expect(
      refusal(() => buildAuditEvent('svc', { ...input, action: 'case.opened', caseId: undefined })).field,
    ).toBe('caseId');
    expect(buildAuditEvent('svc', { ...input, action: 'trigger.refused', caseId: null }).caseId).toBeNull();
    expect(
      buildAuditEvent('svc', { ...input, action: 'writeback.request_unauthenticated', caseId: null }).caseId,
    ).toBeNull();
    expect(
      ['case.opened', 'outreach.sent', 'timer.fired', 'exception.opened', 'action.accepted'].every(
        isCaseScoped,
      ),
    ).toBe(true);
    expect(
      ['trigger.refused', 'reconciler.alert_raised', 'miniapp.link-refused', 'consent.revoked'].some(
        isCaseScoped,
      ),
    ).toBe(false);
  });
});

describe('bounds', () => {
  const base: AuditInput = {
    actor: { type: 'SERVICE', id: 'trigger-ingest' },
    action: 'trigger.refused',
    outcome: 'DENIED',
    reason: 'ok',
    correlationId: '0b6f3c1e-8a47-4f1b-9d3e-2f6a7c8d9e10',
  };

  it('cuts the reason at 1,000 characters and each reference or version value at 512, marking the cut', () => {
    const event = buildAuditEvent('svc', {
      ...base,
      reason: 'r'.repeat(100_000),
      references: { providerRef: 'x'.repeat(5000) },
      versions: { mapping: 'v'.repeat(600) },
    });
    expect(event.reason).toHaveLength(AUDIT_LIMITS.reason);
    expect(event.reason.endsWith('…')).toBe(true);
    expect(event.references['providerRef']).toHaveLength(AUDIT_LIMITS.value);
    expect(event.versions['mapping']).toHaveLength(AUDIT_LIMITS.value);
    expect(buildAuditEvent('svc', { ...base, reason: 'r'.repeat(1000) }).reason).toBe('r'.repeat(1000));
  });

  it('keeps 50 entries and refuses 51, naming the map and the rule (which to drop is the caller’s call)', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
    expect(Object.keys(buildAuditEvent('svc', { ...base, references: many(50) }).references)).toHaveLength(
      50,
    );
    expect(refusal(() => buildAuditEvent('svc', { ...base, references: many(51) }))).toEqual({
      code: 'AUDIT_FIELD_INVALID',
      field: 'references',
      rule: 'must hold at most 50 entries (51 given)',
    });
    expect(refusal(() => buildAuditEvent('svc', { ...base, versions: many(51) })).field).toBe('versions');
  });

  it('refuses entry names that are not identifiers and ids longer than 512 characters', () => {
    expect(refusal(() => buildAuditEvent('svc', { ...base, references: { 'jane doe': 'x' } })).field).toBe(
      'references',
    );
    expect(
      refusal(() => buildAuditEvent('svc', { ...base, references: { ['k'.repeat(65)]: 'x' } })).field,
    ).toBe('references');
    expect(refusal(() => buildAuditEvent('svc', { ...base, correlationId: 'c'.repeat(513) }))).toMatchObject({
      code: 'AUDIT_FIELD_INVALID',
      field: 'correlationId',
      rule: 'must be at most 512 characters',
    });
  });
});

describe('minimisation', () => {
  const base: AuditInput = {
    actor: { type: 'SERVICE', id: 'trigger-ingest' },
    action: 'trigger.refused',
    outcome: 'DENIED',
    reason: 'ok',
    correlationId: '0b6f3c1e-8a47-4f1b-9d3e-2f6a7c8d9e10',
  };

  it('masks card numbers and contact points in the reason, references and versions, keeping our ids intact', () => {
    const event = buildAuditEvent('trigger-ingest', {
      ...base,
      reason: 'note "card 4111 1111 1111 1111, mail jane.doe@example.com, call +44 7700 900123" conflicts',
      caseId: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      references: {
        idempotencyKey: 'wb_9f86d081884c7d659a2feaa0c55ad015',
        payloadRef: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        note: '5500-0000-0000-0004',
        mail: 'a.b@c.io',
        phone: '+447700900123',
      },
      versions: { contact: 'jane.doe@example.com', mapping: '2024-06-01' },
    });
    const text = JSON.stringify(event);
    expect(findPans(text)).toEqual([]);
    expect(findContactPoints(text)).toEqual([]);
    expect(event.reason).toContain('**** **** **** 1111');
    expect(event.references).toMatchObject({
      idempotencyKey: 'wb_9f86d081884c7d659a2feaa0c55ad015',
      payloadRef: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      note: '****-****-****-0004',
      mail: 'a***@c***.io',
      phone: '+**********23',
    });
    expect(event.versions).toEqual({ contact: 'j***@e***.com', mapping: '2024-06-01' });
    expect(event.caseId).toBe('1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b');
  });

  it('masks six-digit codes under code/otp-like names and after those words in the reason, not elsewhere', () => {
    const event = buildAuditEvent('svc', {
      ...base,
      reason: 'one-time code 123456 sent; OTP: 654321; order 777777 kept',
      references: {
        code: '123456',
        oneTimeCode: 'code 987654',
        otp: '000111',
        sessionRef: 'ses_123456',
        count: '123456',
      },
    });
    expect(event.reason).toBe('one-time code ****** sent; OTP: ******; order 777777 kept');
    expect(event.references).toEqual({
      code: '******',
      oneTimeCode: 'code ******',
      otp: '******',
      sessionRef: 'ses_123456',
      count: '123456',
    });
  });

  it('refuses what masking cannot make safe: a secret’s name, a payload instead of a reference', () => {
    expect(refusal(() => buildAuditEvent('svc', { ...base, references: { apiKey: 'k' } }))).toEqual({
      code: 'AUDIT_FIELD_UNSAFE',
      field: 'references.apiKey',
      rule: 'names a secret or a card number: never audited, not even masked',
    });
    expect(refusal(() => buildAuditEvent('svc', { ...base, references: { cardNumber: '****' } })).field).toBe(
      'references.cardNumber',
    );
    const payload = refusal(() =>
      buildAuditEvent('svc', { ...base, references: { payload: { email: 'x@y.com' } as unknown as string } }),
    );
    expect(payload).toMatchObject({ code: 'AUDIT_FIELD_UNSAFE', field: 'references.payload' });
    expect(payload.rule).toContain('a payload is referenced, never embedded');
    // The rule never quotes the value.
    expect(payload.rule).not.toContain('x@y.com');
  });

  it('finishes an event built elsewhere the same way: checked, then masked', () => {
    const built = buildAuditEvent('svc', { ...base, reason: 'ok' });
    const event = finishAuditEvent({
      ...built,
      reason: 'Amex 378282246310005',
      actor: { type: 'CUSTOMER', id: 'jane@example.com' },
    });
    expect(event.reason).toBe('Amex ***********0005');
    expect(event.actor.id).toBe('j***@e***.com');
    expect(refusal(() => finishAuditEvent({ ...built, host: '' })).field).toBe('host');
    expect(refusal(() => finishAuditEvent({ ...built, eventId: '' })).field).toBe('eventId');
  });
});

describe('auditMessage', () => {
  it('keys the message by correlation id and carries correlation, causation and idempotency headers', () => {
    const message = buildAuditMessage(
      'writeback-rest',
      { ...input, causationId: 'evt-1' },
      { now: () => 1_700_000_000_000, idempotencyKey: 'wb_abc' },
    );
    expect(message).toMatchObject({
      topic: Topics.auditEvent,
      key: { correlationId: 'corr-1' },
      headers: { correlationId: 'corr-1', causationId: 'evt-1', idempotencyKey: 'wb_abc' },
      value: { action: 'writeback.applied', occurredAt: 1_700_000_000_000 },
    });
    const plain = auditMessage(buildAuditEvent('svc', input) as AuditEvent);
    expect(plain.headers).toEqual({ correlationId: 'corr-1' });
  });
});

describe('mayHoldPersonalData (the gate before the privacy scanners)', () => {
  it('lets hex ids through unscanned and sends numbers and addresses to the scanners', () => {
    expect(mayHoldPersonalData('case_74e5f3a0a0d44465ab8cbe66')).toBe(false);
    expect(mayHoldPersonalData('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(false);
    expect(mayHoldPersonalData('idem_7086772895012')).toBe(false);
    expect(mayHoldPersonalData('wb_3f2a9c1e0b7d4a5e8f6c2b1a')).toBe(false);
    for (const personal of [
      '4111 1111 1111 1111',
      'card 4111-1111-1111-1111 on file',
      '+44 20 7946 0958',
      '(020) 7946-0958',
      '020.7946.0958',
      'a@b.co',
    ]) {
      expect(mayHoldPersonalData(personal)).toBe(true);
    }
  });

  it('never passes a text in which the scanners find a card number or a contact point', () => {
    const piece = fc.constantFrom(
      ...'0123456789'.split(''),
      ' ',
      '-',
      '.',
      '(',
      ')',
      '+',
      '_',
      '/',
      ':',
      'a',
      'f',
      'x',
      '@',
      '4111111111111111',
      '4111 1111 1111 1111',
      '+447946095800',
      '020 7946 0958',
      'e5f3',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        if (!mayHoldPersonalData(text)) {
          expect(findPans(text)).toEqual([]);
          expect(findContactPoints(text)).toEqual([]);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
