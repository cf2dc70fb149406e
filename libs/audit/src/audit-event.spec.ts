import { buildAuditEvent, AuditFieldError } from './audit-event';

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
