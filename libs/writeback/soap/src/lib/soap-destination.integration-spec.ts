/**
 * The SOAP destination against the simulated SOAP core (tools/simulators/soap-core) on a local port, over SOAP 1.1
 * and SOAP 1.2. No devstack service is used.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { startSoapCore, type FaultRule, type SoapCore } from '@closeout/simulators/soap-core';
import { withClientSpan } from '@closeout/telemetry';
import type { WireMessage } from '@closeout/writeback-domain';
import type { SendRequest } from '@closeout/writeback-core';
import { failureOf } from '@closeout/writeback-core/testing';
import { parseSoapDestination, type SoapDestinationConfigInput } from './soap-destination.config';
import { SoapDestination } from './soap-destination';

const WSDL_VERSION = 'CoreBankingService-2019.2';

const payment = (reference: string, wireVersion = WSDL_VERSION): WireMessage => ({
  kind: 'soap',
  target: 'PostPayment',
  wireVersion,
  body: {
    AccountNumber: '4000123456',
    Amount: { MinorUnits: 12550, CurrencyCode: 'GBP' },
    PaymentToken: 'pm_tok_9f8e7d6c5b4a',
    ExternalReference: reference,
  },
  mapping: { destination: 'core-banking-soap', operation: 'payment.post', version: '1' },
});

let keys = 0;
function sendRequest(wire?: WireMessage): SendRequest {
  const key = `soap-key-${++keys}`;
  return { idempotencyKey: key, correlationId: `trace-${key}`, wire: wire ?? payment(`CLOSEOUT-${keys}`) };
}

describe.each(['1.1', '1.2'] as const)(
  'SoapDestination over SOAP %s (against the simulated SOAP core)',
  (soapVersion) => {
    let core: SoapCore;
    const opened: SoapDestination[] = [];

    beforeAll(async () => {
      core = await startSoapCore({ slowCommitMs: 1_500 });
    });
    afterAll(async () => {
      await core.close();
    });
    afterEach(async () => {
      core.clearFaults();
      await Promise.all(opened.splice(0).map((d) => d.close()));
    });

    function destination(overrides: Partial<SoapDestinationConfigInput> = {}): SoapDestination {
      const created = new SoapDestination(
        parseSoapDestination({
          name: 'core-banking-soap',
          wsdlUrl: core.wsdlUrl,
          endpoint: soapVersion === '1.2' ? core.soap12Url : core.url,
          healthUrl: `${core.baseUrl}/health`,
          soapVersion,
          wsdlVersion: WSDL_VERSION,
          timeouts: { connectMs: 500, requestMs: 700 },
          ...overrides,
        }),
      );
      opened.push(created);
      return created;
    }

    it('posts and returns the TransactionRef; the core journals the key and the derived correlation id', async () => {
      const request = sendRequest();
      const receipt = await destination().send(request);
      expect(receipt.providerRef).toMatch(/^CB\d{10}$/);
      expect(core.journal().find((e) => e.transactionRef === receipt.providerRef)).toMatchObject({
        idempotencyKey: request.idempotencyKey,
        clientCorrelationId: request.idempotencyKey,
        soapVersion,
      });
    });

    it("the call's HTTP POST carries the traceparent of the worker's CLIENT span around it", async () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(new BasicTracerProvider());
      try {
        let sent: { traceId: string; spanId: string } | undefined;
        const receipt = await withClientSpan('SOAP send payment.post', (span) => {
          sent = span.spanContext();
          return destination().send(sendRequest());
        });
        const posting = core.journal().find((e) => e.transactionRef === receipt.providerRef);
        expect(posting?.traceparent).toBe(`00-${sent?.traceId}-${sent?.spanId}-01`);
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    });

    it('a re-send under the same key returns the same TransactionRef and posts nothing new', async () => {
      const dest = destination();
      const request = sendRequest();
      const first = await dest.send(request);
      const before = core.journal().length;
      expect((await dest.send(request)).providerRef).toBe(first.providerRef);
      expect(core.journal()).toHaveLength(before);
    });

    it.each<[FaultRule['mode'], string, boolean]>([
      ['vendor_invalid', 'VALIDATION', true],
      ['vendor_transient', 'TRANSIENT', true],
      ['throttled', 'RATE_LIMITED', true],
    ])('%s → %s (sent: %s), nothing posted', async (mode, errorClass, sent) => {
      core.setFaults({ mode, count: 1, retryAfterSeconds: 7 });
      const before = core.journal().length;
      const error = await failureOf(destination().send(sendRequest()));
      expect(error.errorClass).toBe(errorClass);
      expect(error.sent).toBe(sent);
      if (mode === 'throttled') expect(error.retryAfterMs).toBe(7_000);
      expect(core.journal()).toHaveLength(before);
    });

    it('a different body under a used key → CONFLICT', async () => {
      const dest = destination();
      const request = sendRequest();
      await dest.send(request);
      const error = await failureOf(dest.send({ ...request, wire: payment('another reference') }));
      expect(error.errorClass).toBe('CONFLICT');
    });

    it.each<[FaultRule['mode']]>([['vendor_ambiguous'], ['slow_commit'], ['commit_then_timeout']])(
      '%s → AMBIGUOUS, and lookup then finds the posting',
      async (mode) => {
        core.setFaults({ mode, count: 1 });
        const dest = destination();
        const request = sendRequest();
        const error = await failureOf(dest.send(request));
        expect(error.errorClass).toBe('AMBIGUOUS');
        const posting = core.journal().find((e) => e.idempotencyKey === request.idempotencyKey);
        expect(posting).toBeDefined();
        await expect(
          dest.lookup({
            idempotencyKey: request.idempotencyKey,
            providerRef: null,
            correlationId: request.correlationId,
            operation: 'payment.post',
          }),
        ).resolves.toEqual({ kind: 'found', providerRef: posting?.transactionRef });
      },
    );

    it('server_retry with our IdempotencyKey → exactly one posting', async () => {
      core.setFaults({ mode: 'server_retry', count: 1 });
      const request = sendRequest();
      await destination().send(request);
      expect(core.journal().filter((e) => e.idempotencyKey === request.idempotencyKey)).toHaveLength(1);
    });

    it('refuses a wire message of another WSDL version before anything reaches the core', async () => {
      const before = core.stats().calls;
      const error = await failureOf(
        destination().send(sendRequest(payment('v-old', 'CoreBankingService-2017.1'))),
      );
      expect(error.errorClass).toBe('VALIDATION');
      expect(error.sent).toBe(false);
      expect(error.message).toContain('mapping.wireVersion');
      expect(core.stats().calls).toBe(before);
    });

    it('lookup of an unknown key is not_found; of an unreachable core inconclusive', async () => {
      await expect(
        destination().lookup({
          idempotencyKey: 'never-sent',
          providerRef: null,
          correlationId: 'c',
          operation: 'payment.post',
        }),
      ).resolves.toEqual({ kind: 'not_found' });
      const unreachable = destination({ endpoint: 'http://127.0.0.1:1/CoreBankingService' });
      await expect(
        unreachable.lookup({
          idempotencyKey: 'k',
          providerRef: null,
          correlationId: 'c',
          operation: 'payment.post',
        }),
      ).resolves.toMatchObject({ kind: 'inconclusive' });
    });

    it('a refused connection → TRANSIENT, not sent', async () => {
      const error = await failureOf(
        destination({ endpoint: 'http://127.0.0.1:1/CoreBankingService' }).send(sendRequest()),
      );
      expect(error.errorClass).toBe('TRANSIENT');
      expect(error.sent).toBe(false);
    });

    it('probe passes, then fails under fail_all', async () => {
      const dest = destination();
      await expect(dest.probe()).resolves.toBeUndefined();
      core.setFaults({ mode: 'fail_all' });
      await expect(dest.probe()).rejects.toThrow(/503/);
      const error = await failureOf(dest.send(sendRequest()));
      expect(error.errorClass).toBe('TRANSIENT');
    });
  },
);
