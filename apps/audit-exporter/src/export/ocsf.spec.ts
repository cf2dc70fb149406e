import { classify, toOcsf, type ExportRecord, type StoredAuditEvent } from './ocsf';

function record(over: Partial<StoredAuditEvent> = {}, seq = 7): ExportRecord {
  const event: StoredAuditEvent = {
    eventId: 'evt-1',
    occurredAt: 1_750_000_000_123,
    correlationId: 'corr-1',
    causationId: 'cause-1',
    actor: { type: 'CUSTOMER', id: 'cust-1' },
    action: 'miniapp.identity-verified',
    outcome: 'SUCCESS',
    service: 'mini-app-backend',
    host: 'pod-a',
    reason: 'the one-time code matched',
    caseId: 'case-1',
    versions: { contract: '1' },
    references: { session: 'ref-1' },
    ...over,
  };
  return {
    seq,
    eventId: event.eventId,
    occurredAt: new Date(1_750_000_000_999),
    hash: 'ab'.repeat(32),
    event,
  };
}

describe('OCSF mapping', () => {
  it.each([
    ['miniapp.identity-verified', 3002, 3, 1],
    ['miniapp.identity-failed', 3002, 3, 1],
    ['identity.locked', 3002, 3, 1],
    ['miniapp.otp-issued', 3002, 3, 99],
    ['consent.revoked', 3001, 3, 99],
    ['outreach.opted-out', 3001, 3, 99],
    ['address.confirm', 3001, 3, 99],
    ['writeback.applied', 6003, 6, 3],
    ['writeback.requested', 6003, 6, 1],
    ['trigger.accepted', 6003, 6, 1],
    ['case.awaiting_customer', 6003, 6, 99],
  ])('%s → class %i, category %i, activity %i, type_uid = class*100+activity', (action, cls, cat, act) => {
    const o = toOcsf(record({ action }));
    expect([o.class_uid, o.category_uid, o.activity_id]).toEqual([cls, cat, act]);
    expect(o.type_uid).toBe(cls * 100 + act);
    expect(classify(action).cls.class_uid).toBe(cls);
  });

  it('carries the event id, OCSF version, product, correlation, time and store position in metadata', () => {
    const o = toOcsf(record());
    expect(o.time).toBe(1_750_000_000_123);
    expect(o.metadata).toEqual({
      uid: 'evt-1',
      version: '1.3.0',
      product: { name: 'Closeout', vendor_name: 'Closeout project' },
      correlation_uid: 'corr-1',
      sequence: 7,
      log_name: 'audit.event.v1',
    });
  });

  it('maps actor, status and severity; a lock is High, a denial Medium, a success Informational', () => {
    const ok = toOcsf(record());
    expect(ok.actor).toEqual({
      user: { uid: 'cust-1', type_id: 1, type: 'User' },
      app_name: 'mini-app-backend',
    });
    expect([ok['status_id'], ok['severity_id']]).toEqual([1, 1]);
    const denied = toOcsf(record({ action: 'miniapp.identity-failed', outcome: 'DENIED' }));
    expect([denied['status_id'], denied['severity_id']]).toEqual([2, 3]);
    const locked = toOcsf(record({ action: 'identity.locked', outcome: 'FAILURE' }));
    expect(locked['severity_id']).toBe(4);
    const pending = toOcsf(record({ action: 'miniapp.otp-issued', outcome: 'PENDING' }));
    expect(pending['status_id']).toBe(99);
    const svc = toOcsf(
      record({ action: 'writeback.applied', actor: { type: 'SERVICE', id: 'writeback-rest' } }),
    );
    expect(svc.actor).toEqual({
      user: { uid: 'writeback-rest', type_id: 3, type: 'System' },
      app_name: 'mini-app-backend',
    });
    expect(svc['api']).toEqual({ operation: 'writeback.applied', service: { name: 'mini-app-backend' } });
  });

  it("keeps every Closeout field under unmapped, with the store's seq and hash", () => {
    const o = toOcsf(record({ action: 'writeback.applied', references: { providerRef: 'P-9' } }));
    expect(o['unmapped']).toEqual({
      action: 'writeback.applied',
      outcome: 'SUCCESS',
      reason: 'the one-time code matched',
      case_id: 'case-1',
      causation_id: 'cause-1',
      service: 'mini-app-backend',
      host: 'pod-a',
      versions: { contract: '1' },
      references: { providerRef: 'P-9' },
      store_seq: 7,
      store_hash: 'ab'.repeat(32),
    });
  });

  it('takes an ISO occurredAt, and the stored time when the event has none usable', () => {
    expect(toOcsf(record({ occurredAt: '2025-01-02T03:04:05.006Z' })).time).toBe(
      Date.parse('2025-01-02T03:04:05.006Z'),
    );
    expect(toOcsf(record({ occurredAt: 'not a time' })).time).toBe(1_750_000_000_999);
  });
});
