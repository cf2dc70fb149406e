/**
 * The REST destination against the simulated core (tools/simulators/rest-core) on a local port, and against
 * small hand-written servers where the core cannot misbehave in the needed way. No devstack service is used.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { startRestCore, type FaultRule, type RestCore } from '@closeout/simulators/rest-core';
import {
  CORE_BANKING_API_V2024_06_01 as V1,
  defaultMappingRegistry,
  getMapping,
  ValidationError,
  type WireMessage,
} from '@closeout/writeback-domain';
import type { SendRequest } from '@closeout/writeback-core';
import { failureOf } from '@closeout/writeback-core/testing';
import { parseRestDestination, type RestDestinationConfigInput } from './rest-destination.config';
import { RestDestination, type RestDestinationLogger } from './rest-destination';

const payment = (reference: string): WireMessage =>
  defaultMappingRegistry.toWire(getMapping('core-banking-rest', 'payment.post', '1'), {
    accountId: '4000123456',
    amount: { amountMinor: 12550, currency: 'GBP' },
    paymentMethodToken: 'pm_tok_9f8e7d6c5b4a',
    reference,
  });
/** The 2025-01-15 mapping: a version the destinations below are not pinned to. */
const paymentV2 = (): WireMessage =>
  defaultMappingRegistry.toWire(getMapping('core-banking-rest', 'payment.post', '2'), {
    accountId: '4000123456',
    amount: { amountMinor: 12550, currency: 'GBP' },
    paymentMethodToken: 'pm_tok_9f8e7d6c5b4a',
    reference: 'CLOSEOUT-v2',
  });

let keys = 0;
function sendRequest(wire: WireMessage = payment(`CLOSEOUT-${++keys}`), key = `key-${++keys}`): SendRequest {
  return { idempotencyKey: key, correlationId: `corr-${key}`, wire };
}

function listening(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('RestDestination (against the simulated REST core)', () => {
  let core: RestCore;
  const warnings: { obj: object; msg: string }[] = [];
  const logger: RestDestinationLogger = { warn: (obj, msg) => warnings.push({ obj, msg }) };
  const opened: RestDestination[] = [];
  const servers: (Server | TcpServer)[] = [];

  function destination(overrides: Partial<RestDestinationConfigInput> = {}): RestDestination {
    const created = new RestDestination(
      parseRestDestination({
        name: 'core-banking-rest',
        baseUrl: core.url,
        auth: { type: 'bearer', token: 'test-token' },
        apiVersions: [V1],
        timeouts: { connectMs: 1_000, requestMs: 2_000 },
        ...overrides,
      }),
      logger,
    );
    opened.push(created);
    return created;
  }

  const fault = (rule: FaultRule): void => core.setFaults(rule);

  beforeEach(async () => {
    core = await startRestCore();
    warnings.length = 0;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    await core.close();
  });

  describe('send', () => {
    it('posts once, with the idempotency key and the pinned API version', async () => {
      const request = sendRequest();
      const receipt = await destination().send(request);

      expect(receipt).toEqual({
        providerRef: expect.stringMatching(/^pay_/),
        providerCode: '201',
        replayed: false,
      });
      expect(core.journal()).toEqual([
        expect.objectContaining({
          transactionId: receipt.providerRef,
          idempotencyKey: request.idempotencyKey,
          apiVersion: V1,
          path: '/api/payments',
          body: request.wire.body,
        }),
      ]);
    });

    it('is answered from the core’s idempotency store when the same key comes again', async () => {
      const rest = destination();
      const request = sendRequest();
      const first = await rest.send(request);
      const again = await rest.send(request);

      expect(again).toEqual({ ...first, replayed: true });
      expect(core.journal()).toHaveLength(1);
      expect(core.stats().duplicatePostings.total).toBe(0);
    });

    it('refuses an API version the destination is not pinned to, before anything reaches the core', async () => {
      const error = await failureOf(destination().send(sendRequest(paymentV2())));

      expect(error).toBeInstanceOf(ValidationError);
      expect(error.sent).toBe(false);
      expect((error as ValidationError).issues).toEqual([
        {
          path: 'mapping.wireVersion',
          rule: expect.stringContaining('pinned to (2024-06-01), not 2025-01-15'),
        },
      ]);
      expect(core.stats().writes).toBe(0);
      expect(core.journal()).toHaveLength(0);
    });

    it.each<[string, string, boolean, FaultRule]>([
      ['error_5xx', 'TRANSIENT', true, { mode: 'error_5xx', count: 1 }],
      ['connection_reset', 'AMBIGUOUS', true, { mode: 'connection_reset', count: 1 }],
      ['invalid_4xx', 'VALIDATION', true, { mode: 'invalid_4xx', count: 1 }],
    ])('maps %s to %s (sent: %s), and nothing is posted', async (_, errorClass, sent, rule) => {
      fault(rule);
      const error = await failureOf(destination().send(sendRequest()));

      expect(error.errorClass).toBe(errorClass);
      expect(error.sent).toBe(sent);
      expect(core.journal()).toHaveLength(0);
    });

    it("keeps the core's field errors on a validation failure", async () => {
      fault({ mode: 'invalid_4xx', count: 1 });
      const error = await failureOf(destination().send(sendRequest()));

      expect((error as ValidationError).issues).toEqual([
        { path: 'wire.(body)', rule: 'rejected by simulated fault invalid_4xx' },
      ]);
      expect(error.providerCode).toBe('422 validation_failed');
    });

    it.each<[string, FaultRule]>([
      ['slow_commit (answer after the request timeout)', { mode: 'slow_commit', delayMs: 3_000, count: 1 }],
      [
        'commit_then_timeout (connection dropped at once)',
        { mode: 'commit_then_timeout', delayMs: 0, count: 1 },
      ],
      ['commit_then_timeout (never answered)', { mode: 'commit_then_timeout', delayMs: 3_000, count: 1 }],
    ])('calls %s ambiguous, and a lookup then finds the posting', async (_, rule) => {
      fault(rule);
      const rest = destination({ timeouts: { requestMs: 500 } });
      const request = sendRequest();
      const started = Date.now();

      const error = await failureOf(rest.send(request));
      expect(error.errorClass).toBe('AMBIGUOUS');
      expect(Date.now() - started).toBeLessThan(2_000);

      const [posting] = core.journal();
      expect(posting?.idempotencyKey).toBe(request.idempotencyKey);
      await expect(
        rest.lookup({ ...request, providerRef: null, operation: 'payment.post' }),
      ).resolves.toEqual({ kind: 'found', providerRef: posting?.transactionId });
    });

    it('passes on the Retry-After of a 429', async () => {
      fault({ mode: 'rate_limited', retryAfterSeconds: 2, count: 1 });
      const error = await failureOf(destination().send(sendRequest()));

      expect(error.errorClass).toBe('RATE_LIMITED');
      expect(error.retryAfterMs).toBe(2_000);
      expect(error.providerCode).toBe('429 rate_limited');
    });

    it('calls a reused key with a different body a conflict', async () => {
      const rest = destination();
      const first = sendRequest();
      await rest.send(first);

      const error = await failureOf(rest.send({ ...first, wire: payment('CLOSEOUT-other') }));
      expect(error.errorClass).toBe('CONFLICT');
      expect(error.providerCode).toBe('422 idempotency_key_reused');
      expect(core.journal()).toHaveLength(1);
    });

    it('calls a refused connection transient and unsent', async () => {
      const closed = createHttpServer();
      const port = await listening(closed);
      await new Promise((resolve) => closed.close(resolve));

      const error = await failureOf(destination({ baseUrl: `http://127.0.0.1:${port}` }).send(sendRequest()));
      expect(error.errorClass).toBe('TRANSIENT');
      expect(error.sent).toBe(false);
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('calls a connection that is never established transient and unsent, after the connect timeout', async () => {
      // TCP connects but the TLS handshake never completes: nothing of the request can have left.
      const silent = createTcpServer((socket: Socket) => socket.on('error', () => undefined));
      const sockets: Socket[] = [];
      silent.on('connection', (s: Socket) => sockets.push(s));
      servers.push(silent);
      const port = await listening(silent);
      const rest = destination({
        baseUrl: `https://127.0.0.1:${port}`,
        timeouts: { connectMs: 300, requestMs: 5_000 },
      });
      const started = Date.now();

      const error = await failureOf(rest.send(sendRequest()));
      sockets.forEach((s) => s.destroy());
      expect(error.errorClass).toBe('TRANSIENT');
      expect(error.sent).toBe(false);
      expect(error.message).toContain('not connected within 300 ms');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('stops waiting when the caller aborts, and calls a request already sent ambiguous', async () => {
      fault({ mode: 'slow_commit', delayMs: 3_000, count: 1 });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 200);

      const error = await failureOf(
        destination({ timeouts: { requestMs: 5_000 } }).send({ ...sendRequest(), signal: controller.signal }),
      );
      expect(error.errorClass).toBe('AMBIGUOUS');
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('sends nothing once the caller has aborted', async () => {
      const controller = new AbortController();
      controller.abort();

      const error = await failureOf(destination().send({ ...sendRequest(), signal: controller.signal }));
      expect(error).toMatchObject({ errorClass: 'TRANSIENT', sent: false });
      expect(core.stats().writes).toBe(0);
    });

    it('paces requests to the configured rate', async () => {
      const rest = destination({ rateLimit: { requestsPerSecond: 20 } });
      const started = Date.now();

      await Promise.all(Array.from({ length: 40 }, () => rest.send(sendRequest())));
      // 40 requests, one every 50 ms, take ~1.95 s; the bound is loose so a busy machine cannot fail it.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      expect(core.journal()).toHaveLength(40);
    });
  });

  describe('lookup', () => {
    it('answers not_found for a key the core has never seen', async () => {
      await expect(
        destination().lookup({
          idempotencyKey: 'never-sent',
          providerRef: null,
          correlationId: 'c',
          operation: 'payment.post',
        }),
      ).resolves.toEqual({ kind: 'not_found' });
    });

    it('finds a posting by provider ref', async () => {
      const rest = destination();
      const request = sendRequest();
      const { providerRef } = await rest.send(request);

      await expect(rest.lookup({ ...request, providerRef, operation: 'payment.post' })).resolves.toEqual({
        kind: 'found',
        providerRef,
      });
    });

    it('falls back to the key when the provider ref is unknown', async () => {
      const rest = destination();
      const request = sendRequest();
      const { providerRef } = await rest.send(request);

      await expect(
        rest.lookup({ ...request, providerRef: 'pay_99999999', operation: 'payment.post' }),
      ).resolves.toEqual({ kind: 'found', providerRef });
    });

    it('finds the first of several postings under one key, and warns of the duplicate', async () => {
      fault({ mode: 'ignore_idempotency_key' });
      const rest = destination();
      const request = sendRequest();
      const first = await rest.send(request);
      await rest.send(request);
      expect(core.journal()).toHaveLength(2);

      await expect(
        rest.lookup({ ...request, providerRef: null, operation: 'payment.post' }),
      ).resolves.toEqual({
        kind: 'found',
        providerRef: first.providerRef,
      });
      expect(warnings).toEqual([
        expect.objectContaining({
          obj: expect.objectContaining({ postings: 2, idempotencyKey: request.idempotencyKey }),
        }),
      ]);
    });

    it('is inconclusive, not thrown, when the core cannot be reached', async () => {
      const rest = destination();
      await core.close();

      await expect(
        rest.lookup({
          idempotencyKey: 'k',
          providerRef: null,
          correlationId: 'c',
          operation: 'payment.post',
        }),
      ).resolves.toEqual({ kind: 'inconclusive', reason: expect.stringContaining('ECONNREFUSED') });
    });
  });

  describe('probe', () => {
    it('passes while the core serves, and fails naming the status under fail_all', async () => {
      const rest = destination();
      await expect(rest.probe()).resolves.toBeUndefined();

      fault({ mode: 'fail_all' });
      await expect(rest.probe()).rejects.toThrow('core-banking-rest health probe GET /health answered 503');
    });
  });

  describe('on the wire', () => {
    interface Seen {
      method: string | undefined;
      url: string | undefined;
      headers: IncomingHttpHeaders;
    }

    /** A server that records each request and answers with `status` and `body` (a string goes out as it is). */
    async function recorder(status: number, body: unknown): Promise<{ url: string; seen: Seen[] }> {
      const seen: Seen[] = [];
      const server = createHttpServer((req, res) => {
        seen.push({ method: req.method, url: req.url, headers: req.headers });
        req.resume();
        req.on('end', () =>
          res
            .writeHead(status, { 'Content-Type': 'application/json' })
            .end(typeof body === 'string' ? body : JSON.stringify(body)),
        );
      });
      servers.push(server);
      return { url: `http://127.0.0.1:${await listening(server)}`, seen };
    }

    it('sends the protocol headers and the auth on writes, and no idempotency key on lookups', async () => {
      const { url, seen } = await recorder(201, { transaction_id: 'pay_1' });
      const rest = destination({
        baseUrl: `${url}/core`,
        auth: { type: 'basic', username: 'closeout', password: 'pw' },
      });
      const request = sendRequest();
      await rest.send(request);
      await rest.lookup({ ...request, providerRef: null, operation: 'payment.post' });

      const [write, read] = seen;
      expect(write).toMatchObject({
        method: 'POST',
        url: '/core/api/payments',
        headers: {
          'idempotency-key': request.idempotencyKey,
          'api-version': V1,
          'content-type': 'application/json',
          'x-correlation-id': request.correlationId,
          authorization: `Basic ${Buffer.from('closeout:pw').toString('base64')}`,
        },
      });
      expect(read).toMatchObject({
        method: 'GET',
        url: `/core/api/postings?idempotency_key=${request.idempotencyKey}`,
        headers: { 'api-version': V1, authorization: expect.stringMatching(/^Basic /) },
      });
      expect(read?.headers['idempotency-key']).toBeUndefined();
    });

    it.each<[string, unknown]>([
      ['without a transaction_id', { status: 'posted' }],
      ['that cannot be parsed', '<html>posted</html>'],
    ])('calls a 2xx %s ambiguous: applied, most likely, but with nothing to record', async (_, body) => {
      const { url } = await recorder(201, body);
      const error = await failureOf(destination({ baseUrl: url }).send(sendRequest()));
      expect(error).toMatchObject({ errorClass: 'AMBIGUOUS', providerCode: '201' });
    });

    it('is inconclusive when a key lookup lists postings of other keys', async () => {
      const { url } = await recorder(200, {
        data: [{ transaction_id: 'pay_1', idempotency_key: 'someone-else' }],
      });
      await expect(
        destination({ baseUrl: url }).lookup({
          idempotencyKey: 'mine',
          providerRef: null,
          correlationId: 'c',
          operation: 'payment.post',
        }),
      ).resolves.toMatchObject({ kind: 'inconclusive' });
    });
  });
});
