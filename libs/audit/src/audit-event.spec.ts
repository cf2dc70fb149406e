import { buildAuditEvent, AuditFieldError, AUDIT_LIMITS, maskAuditEvent } from './audit-event';
import { findContactPoints, findPans } from '@closeout/privacy';

describe('buildAuditEvent', () => {
  const input = {
    actor: { type: 'SERVICE' as const, id: 'writeback-rest' },
    action: 'writeback.applied',
    outcome: 'SUCCESS' as const,
    reason: 'destination confirmed posting',
    correlationId: 'corr-1',
    caseId: 'case-1',
    versions: { contract: '1', mapping: '2' },
    references: { idempotencyKey: 'wb_abc', providerRef: 'TX-9' },
  };

  it('answers who, what, when, where and why with the versions and references given', () => {
    const event = buildAuditEvent('writeback-rest', input, () => 1_700_000_000_000);
    expect(event).toMatchObject({
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      action: 'writeback.applied',
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

  it.each(['action', 'reason', 'correlationId'] as const)('refuses an event without %s', (field) => {
    expect(() => buildAuditEvent('svc', { ...input, [field]: ' ' })).toThrow(new AuditFieldError(field));
  });

  it('refuses an event without an actor id', () => {
    expect(() => buildAuditEvent('svc', { ...input, actor: { type: 'AGENT', id: '' } })).toThrow(/actor\.id/);
  });
});

describe('audit events carry no card numbers or contact points', () => {
  const base = {
    actor: { type: 'SERVICE' as const, id: 'trigger-ingest' },
    action: 'trigger.refused',
    outcome: 'DENIED' as const,
    correlationId: '0b6f3c1e-8a47-4f1b-9d3e-2f6a7c8d9e10',
  };

  it('masks card numbers and contact points in the reason and references, keeping our ids intact', () => {
    const event = buildAuditEvent('trigger-ingest', {
      ...base,
      reason: 'note "card 4111 1111 1111 1111, mail jane.doe@example.com, call +44 7700 900123" conflicts',
      caseId: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      references: {
        idempotencyKey: 'wb_9f86d081884c7d659a2feaa0c55ad015',
        note: '5500-0000-0000-0004',
        mail: 'a.b@c.io',
      },
    });
    const text = JSON.stringify(event);
    expect(findPans(text)).toEqual([]);
    expect(findContactPoints(event.reason)).toEqual([]);
    expect(event.reason).toContain('**** **** **** 1111');
    expect(event.reason).not.toContain('jane.doe@example.com');
    expect(event.reason).not.toContain('7700 900123');
    expect(event.references).toMatchObject({
      idempotencyKey: 'wb_9f86d081884c7d659a2feaa0c55ad015',
      note: '****-****-****-0004',
    });
    expect(event.references['mail']).not.toContain('a.b@c.io');
    expect(event.caseId).toBe('1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b');
  });

  it('bounds the reason and the maps', () => {
    const references = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'x'.repeat(5000)]));
    const event = buildAuditEvent('svc', { ...base, reason: 'r'.repeat(100_000), references });
    expect(event.reason.length).toBeLessThanOrEqual(AUDIT_LIMITS.reason + 1);
    expect(Object.keys(event.references)).toHaveLength(AUDIT_LIMITS.mapEntries);
    expect(Object.values(event.references).every((v) => v.length <= AUDIT_LIMITS.id + 1)).toBe(true);
  });

  it('masks an event built elsewhere before it is published', () => {
    const event = maskAuditEvent({
      ...buildAuditEvent('svc', { ...base, reason: 'ok' }),
      reason: 'Amex 378282246310005',
      actor: { type: 'CUSTOMER', id: 'jane@example.com' },
    });
    expect(event.reason).toBe('Amex ***********0005');
    expect(event.actor.id).not.toContain('jane@example.com');
  });
});
