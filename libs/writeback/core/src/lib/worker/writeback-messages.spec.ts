import { AuditFieldError } from '@closeout/audit';
import type { WritebackRequested } from '@closeout/contracts';
import { auditMessage } from './writeback-messages';

const request: WritebackRequested = {
  eventId: 'evt-1',
  occurredAt: 1_718_000_000_000,
  correlationId: 'corr-1',
  causationId: null,
  idempotencyKey: 'wb_x',
  destination: 'core-banking-rest',
  protocol: 'REST',
  operation: 'flag.clear',
  caseId: 'case-1',
  workflowId: 'failed-payment-recovery',
  contractVersion: '1',
  mappingVersion: '1',
  payloadJson: '{}',
  consentRef: null,
  requestedAt: 1_718_000_000_000,
};

describe('writeback audit messages', () => {
  it('are built by the audit builder: complete, keyed and headed by the case trail', () => {
    const message = auditMessage('writeback-rest', request, {
      action: 'writeback.applied',
      outcome: 'SUCCESS',
      reason: 'the core answered 201',
      references: { providerRef: 'P-1', absent: null },
      now: 1_718_000_000_500,
    });
    expect(message.topic).toBe('audit.event.v1');
    expect(message.key).toEqual({ correlationId: 'corr-1' });
    expect(message.headers).toEqual({
      correlationId: 'corr-1',
      causationId: 'evt-1',
      idempotencyKey: 'wb_x',
    });
    expect(message.value).toMatchObject({
      occurredAt: 1_718_000_000_500,
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      action: 'writeback.applied',
      service: 'writeback-rest',
      caseId: 'case-1',
      versions: { contract: '1', mapping: '1' },
      references: { idempotencyKey: 'wb_x', destination: 'core-banking-rest', providerRef: 'P-1' },
    });
  });

  it('mask a card number a core quoted back in its answer', () => {
    const message = auditMessage('writeback-rest', request, {
      action: 'writeback.attempt_failed',
      outcome: 'FAILURE',
      reason: 'the core refused card 4111 1111 1111 1111',
      now: 0,
    });
    expect(JSON.stringify(message.value)).not.toContain('4111 1111 1111 1111');
  });

  it('refuse a decision with no reason, as every audit event does', () => {
    expect(() =>
      auditMessage('writeback-rest', request, {
        action: 'writeback.applied',
        outcome: 'SUCCESS',
        reason: ' ',
        now: 0,
      }),
    ).toThrow(AuditFieldError);
  });
});
