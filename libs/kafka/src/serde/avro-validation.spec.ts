import { Type } from 'avsc';
import { avroSchemas, type CaseTriggered, type WritebackRequested } from '@closeout/contracts';
import { validateAvro } from './avro-validation';

const writebackType = Type.forSchema(JSON.parse(avroSchemas['writeback.requested.v1-value']));
const triggeredType = Type.forSchema(JSON.parse(avroSchemas['case.triggered.v1-value']));
const stateType = Type.forSchema(JSON.parse(avroSchemas['case.state.v1-value']));

const writeback: WritebackRequested = {
  eventId: 'evt-1',
  occurredAt: 1_735_689_600_000,
  correlationId: 'corr-1',
  causationId: null,
  idempotencyKey: 'idem-1',
  destination: 'core-banking',
  protocol: 'REST',
  operation: 'payment.post',
  caseId: 'case-1',
  workflowId: 'failed-payment-recovery',
  contractVersion: '1',
  mappingVersion: '3',
  payloadJson: '{"amountMinor":1000}',
  consentRef: null,
  requestedAt: 1_735_689_600_000,
};

describe('Avro validation', () => {
  it('accepts a value that matches the schema', () => {
    expect(validateAvro(writebackType, writeback)).toEqual([]);
  });

  it('names the field and the rule when a required field is missing', () => {
    const withoutKey: Partial<WritebackRequested> = { ...writeback };
    delete withoutKey.idempotencyKey;
    expect(validateAvro(writebackType, withoutKey)).toEqual([
      {
        path: 'idempotencyKey',
        rule: 'required',
        message: 'field "idempotencyKey" is required: must be a string',
      },
    ]);
  });

  it('names the allowed symbols when an enum value is wrong', () => {
    expect(validateAvro(writebackType, { ...writeback, protocol: 'FTP' })).toEqual([
      {
        path: 'protocol',
        rule: 'enum',
        message: 'field "protocol" must be one of REST, SOAP, SFTP, got "FTP"',
      },
    ]);
  });

  it('reports every problem, with nested paths and array indices', () => {
    const bad = {
      eventId: 'e',
      occurredAt: 1,
      correlationId: 'c',
      caseId: 'c',
      workflowId: 'w',
      definitionVersion: '1',
      state: 'CLOSED',
      reason: 'r',
      requiredWritebacks: ['a', 3],
      previousState: 'NOPE',
    };
    expect(validateAvro(stateType, bad)).toEqual([
      // avsc reports the offending branch of the optional enum, which reads better than the whole union.
      {
        path: 'previousState',
        rule: 'enum',
        message: expect.stringContaining('field "previousState" must be one of TRIGGERED, OUTREACH'),
      },
      {
        path: 'requiredWritebacks[1]',
        rule: 'type:string',
        message: 'field "requiredWritebacks[1]" must be a string, got 3',
      },
    ]);
    const triggered = { ...({} as CaseTriggered), source: { system: 's', eventId: 5 } };
    const paths = validateAvro(triggeredType, triggered).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['eventId', 'source.eventId', 'source.eventType', 'customer']),
    );
  });

  it('refuses a timestamp given as a Date or a float: the contracts use epoch millis as a long', () => {
    expect(validateAvro(writebackType, { ...writeback, occurredAt: new Date(0) })[0]).toMatchObject({
      path: 'occurredAt',
      rule: 'type:long',
    });
    expect(validateAvro(writebackType, { ...writeback, requestedAt: 1.5 })[0]).toMatchObject({
      path: 'requestedAt',
      rule: 'type:long',
    });
  });

  it('refuses fields the schema does not declare (a typo would otherwise be dropped silently)', () => {
    expect(validateAvro(writebackType, { ...writeback, consentref: 'c-1' })).toEqual([
      {
        path: 'consentref',
        rule: 'undeclared-field',
        message: 'field "consentref" is not declared in io.closeout.writeback.v1.WritebackRequested',
      },
    ]);
  });

  it('refuses a missing value outright', () => {
    expect(validateAvro(writebackType, null)).toEqual([
      {
        path: '',
        rule: 'required',
        message: 'must be an object (record io.closeout.writeback.v1.WritebackRequested), got null',
      },
    ]);
  });
});
