import type { WritebackErrorClass } from '@closeout/contracts';
import {
  classifySoapFault,
  classifySoapHttpStatus,
  DEFAULT_SOAP_FAULT_MAP,
  soapFaultOf,
  type SoapFault,
  type SoapFaultMapEntry,
} from './classify-soap-fault';

const DEST = 'core-banking-soap';

const fault = (code: string | undefined, faultString = 'fault', retryAfterSeconds?: number): SoapFault => ({
  code,
  faultString,
  message: `${code ?? 'no code'}: message`,
  retryAfterSeconds,
});

describe('classifySoapFault (default CB-* table)', () => {
  it.each<[string, WritebackErrorClass, boolean]>([
    ['CB-1001', 'VALIDATION', true],
    ['CB-1002', 'VALIDATION', true],
    ['CB-4090', 'CONFLICT', true],
    ['CB-4290', 'RATE_LIMITED', true],
    ['CB-5003', 'TRANSIENT', true],
    ['CB-9001', 'AMBIGUOUS', true],
    ['CB-7777', 'AMBIGUOUS', true],
  ])('%s → %s (sent: %s)', (code, errorClass, sent) => {
    const error = classifySoapFault(fault(code), DEFAULT_SOAP_FAULT_MAP, DEST);
    expect(error.errorClass).toBe(errorClass);
    expect(error.sent).toBe(sent);
    expect(error.providerCode).toBe(code);
  });

  it('a fault without a vendor code is AMBIGUOUS: it may have been raised after the posting', () => {
    expect(classifySoapFault(fault(undefined, 'soap:Server'), DEFAULT_SOAP_FAULT_MAP, DEST).errorClass).toBe(
      'AMBIGUOUS',
    );
  });

  it('CB-4290 carries RetryAfterSeconds as milliseconds', () => {
    expect(classifySoapFault(fault('CB-4290', 'x', 3), DEFAULT_SOAP_FAULT_MAP, DEST).retryAfterMs).toBe(
      3_000,
    );
  });

  it('a destination row wins over the default table, by code or by fault string pattern', () => {
    const map: SoapFaultMapEntry[] = [
      { code: 'CB-5003', errorClass: 'TRANSIENT', sent: false },
      { faultStringPattern: '^Maintenance window', errorClass: 'TRANSIENT' },
      ...DEFAULT_SOAP_FAULT_MAP,
    ];
    expect(classifySoapFault(fault('CB-5003'), map, DEST).sent).toBe(false);
    expect(classifySoapFault(fault('CB-8888', 'Maintenance window until 04:00'), map, DEST).errorClass).toBe(
      'TRANSIENT',
    );
  });
});

describe('classifySoapHttpStatus (no SOAP fault in the answer)', () => {
  it.each<[number, WritebackErrorClass]>([
    // A page from a gateway after the request may have been passed on: never "nothing applied".
    [500, 'AMBIGUOUS'],
    [502, 'AMBIGUOUS'],
    [503, 'AMBIGUOUS'],
    // Refused at the door.
    [401, 'TRANSIENT'],
    [404, 'TRANSIENT'],
    [429, 'RATE_LIMITED'],
    [504, 'AMBIGUOUS'],
    [408, 'AMBIGUOUS'],
    [200, 'AMBIGUOUS'],
  ])('%i → %s', (status, errorClass) => {
    expect(classifySoapHttpStatus(status, DEST).errorClass).toBe(errorClass);
  });
});

describe('soapFaultOf', () => {
  const vendor = { Code: 'CB-4290', Message: 'throttled', RetryAfterSeconds: '2' };

  it('reads a SOAP 1.1 fault', () => {
    const error = {
      root: {
        Envelope: {
          Body: {
            Fault: {
              faultcode: 'soap:Server',
              faultstring: 'CB-4290: throttled',
              detail: { VendorError: vendor },
            },
          },
        },
      },
    };
    expect(soapFaultOf(error)).toEqual({
      code: 'CB-4290',
      faultString: 'CB-4290: throttled',
      message: 'throttled',
      retryAfterSeconds: 2,
    });
  });

  it('reads a SOAP 1.2 fault', () => {
    const error = {
      root: {
        Envelope: {
          Body: {
            Fault: {
              Code: { Value: 'soap:Receiver' },
              Reason: { Text: { $value: 'CB-4290: throttled' } },
              Detail: { VendorError: vendor },
            },
          },
        },
      },
    };
    expect(soapFaultOf(error)).toMatchObject({
      code: 'CB-4290',
      faultString: 'CB-4290: throttled',
      retryAfterSeconds: 2,
    });
  });

  it('is undefined for an error that carries no fault', () => {
    expect(soapFaultOf(new Error('socket hang up'))).toBeUndefined();
  });
});
