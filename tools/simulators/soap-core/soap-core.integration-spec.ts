/**
 * TEST DOUBLE's own tests — the simulated SOAP core banking system (a stand-in for a bank's system of record),
 * driven with a real node-soap client over SOAP 1.1 and SOAP 1.2. Opens real local sockets, hence an integration
 * spec; it needs none of the devstack services itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClientAsync, type Client } from 'soap';
import {
  CORE_BANKING_NAMESPACE,
  CORE_BANKING_WSDL_VERSION,
  startSoapCore,
  type SoapCore,
  type SoapCoreOptions,
  type SoapVersion,
} from '.';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SOAP replies are arbitrary objects, read only by assertions.
type Json = any;

interface Context {
  ClientCorrelationId?: string;
  IdempotencyKey?: string;
}

type Outcome =
  | { ok: true; result: Json; header: Json }
  | { ok: false; error: Error & { root?: Json; response?: { status: number }; code?: string } };

const payment = (reference = 'CLOSEOUT-1', minorUnits = 12550): Json => ({
  AccountNumber: '4000123456',
  Amount: { MinorUnits: minorUnits, CurrencyCode: 'GBP' },
  PaymentToken: 'pm_tok_9f8e7d6c5b4a',
  ExternalReference: reference,
});

function contextXml(ctx: Context): string {
  const el = (name: keyof Context): string =>
    ctx[name] === undefined ? '' : `<cb:${name}>${ctx[name]}</cb:${name}>`;
  return `<cb:RequestContext xmlns:cb="${CORE_BANKING_NAMESPACE}">${el('ClientCorrelationId')}${el('IdempotencyKey')}</cb:RequestContext>`;
}

/** One SOAP call; the header is set on a client used by one test at a time. */
function call(
  client: Client,
  operation: string,
  args: Json,
  ctx: Context,
  timeoutMs = 3_000,
): Promise<Outcome> {
  client.clearSoapHeaders();
  client.addSoapHeader(contextXml(ctx));
  return new Promise((resolve) => {
    const method = client[operation] as (
      args: Json,
      cb: (err: Json, result: Json, raw: Json, header: Json) => void,
      options: Json,
    ) => void;
    method(
      args,
      (err, result, _raw, header) => resolve(err ? { ok: false, error: err } : { ok: true, result, header }),
      { timeout: timeoutMs },
    );
  });
}

/** The VendorError detail and the ResponseContext of a fault, under either SOAP version. */
function faultOf(outcome: Outcome): {
  code: string;
  message: string;
  retryAfterSeconds?: number;
  correlationId?: string;
} {
  if (outcome.ok) throw new Error(`expected a fault, got ${JSON.stringify(outcome.result)}`);
  const envelope = outcome.error.root?.Envelope;
  const fault = envelope?.Body?.Fault;
  if (!fault) throw new Error(`expected a SOAP fault, got ${outcome.error.message}`);
  const vendor = (fault.detail ?? fault.Detail).VendorError;
  return {
    code: vendor.Code,
    message: vendor.Message,
    ...(vendor.RetryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: Number(vendor.RetryAfterSeconds) }),
    correlationId: envelope.Header?.ResponseContext?.ClientCorrelationId,
  };
}

describe('simulated SOAP core (TEST DOUBLE)', () => {
  const cores: SoapCore[] = [];
  afterEach(async () => {
    await Promise.all(cores.splice(0).map((c) => c.close()));
  });

  async function start(options: SoapCoreOptions = {}): Promise<SoapCore> {
    const core = await startSoapCore({ slowCommitMs: 1_500, ...options });
    cores.push(core);
    return core;
  }

  it('serves a WSDL with the pinned version and both a SOAP 1.1 and a SOAP 1.2 binding', async () => {
    const core = await start();
    const response = await fetch(core.wsdlUrl);
    const wsdl = await response.text();
    expect(response.status).toBe(200);
    expect(wsdl).toContain(CORE_BANKING_WSDL_VERSION);
    expect(wsdl).toContain(`targetNamespace="${CORE_BANKING_NAMESPACE}"`);
    expect(wsdl).toMatch(/<soap:binding style="document"/);
    expect(wsdl).toMatch(/<soap12:binding style="document"/);
    expect(wsdl).toContain(`location="${core.url}"`);
    expect(wsdl).toContain(`location="${core.soap12Url}"`);
  });

  describe.each<SoapVersion>(['1.1', '1.2'])('over SOAP %s', (version) => {
    let keys = 0;
    const nextKey = (): string => `key-${version}-${++keys}`;

    async function open(options: SoapCoreOptions = {}): Promise<{ core: SoapCore; client: Client }> {
      const core = await start(options);
      const client = await createClientAsync(
        core.wsdlUrl,
        // The WSDL cache is keyed by URL only: a cached 1.1 WSDL would make a 1.2 client speak 1.1.
        { disableCache: true, forceSoap12Headers: version === '1.2' },
        version === '1.2' ? core.soap12Url : core.url,
      );
      return { core, client };
    }

    it('posts a payment, answers with its TransactionRef and echoes the ClientCorrelationId', async () => {
      const { core, client } = await open();
      const key = nextKey();
      const outcome = await call(client, 'PostPayment', payment(), {
        ClientCorrelationId: `corr-${key}`,
        IdempotencyKey: key,
      });
      if (!outcome.ok) throw outcome.error;
      expect(outcome.result).toEqual({ TransactionRef: 'CB0000000001', Status: 'POSTED' });
      expect(outcome.header.ResponseContext.ClientCorrelationId).toBe(`corr-${key}`);
      expect(client.lastRequest).toContain(
        version === '1.2'
          ? 'http://www.w3.org/2003/05/soap-envelope'
          : 'http://schemas.xmlsoap.org/soap/envelope/',
      );
      expect(core.journal()).toEqual([
        expect.objectContaining({
          transactionRef: 'CB0000000001',
          operation: 'PostPayment',
          idempotencyKey: key,
          clientCorrelationId: `corr-${key}`,
          soapVersion: version,
          internalRetry: false,
          body: payment(),
        }),
      ]);
      expect(core.stats().callsByOutcome.posted).toBe(1);
    });

    it('accepts the other write operations', async () => {
      const { core, client } = await open();
      const ctx = (): Context => {
        const key = nextKey();
        return { ClientCorrelationId: key, IdempotencyKey: key };
      };
      const outcomes = [
        await call(
          client,
          'CreateArrangement',
          {
            AccountNumber: '4000123456',
            InstallmentCount: 6,
            FirstDueDate: '2025-04-01',
            InstallmentAmount: { MinorUnits: 5000, CurrencyCode: 'GBP' },
          },
          ctx(),
        ),
        await call(
          client,
          'UpdateAddress',
          {
            CustomerNumber: 'C-100',
            Line1: '1 High Street',
            City: 'Leeds',
            PostalCode: 'LS1 1AA',
            CountryCode: 'GB',
          },
          ctx(),
        ),
        await call(
          client,
          'ClearFlag',
          { AccountNumber: '4000123456', FlagCode: 'HARDSHIP', Reason: 'resolved' },
          ctx(),
        ),
      ];
      expect(outcomes.map((o) => o.ok && o.result.Status)).toEqual(['POSTED', 'POSTED', 'POSTED']);
      expect(core.journal().map((e) => e.operation)).toEqual([
        'CreateArrangement',
        'UpdateAddress',
        'ClearFlag',
      ]);
    });

    it('answers a repeated IdempotencyKey with the original posting and refuses it for a different body (CB-4090)', async () => {
      const { core, client } = await open();
      const key = nextKey();
      const ctx = { ClientCorrelationId: key, IdempotencyKey: key };
      const first = await call(client, 'PostPayment', payment(), ctx);
      const again = await call(client, 'PostPayment', payment(), ctx);
      const other = await call(client, 'PostPayment', payment('CLOSEOUT-1', 999), ctx);
      expect(first.ok && again.ok && again.result.TransactionRef).toBe(
        first.ok && first.result.TransactionRef,
      );
      expect(faultOf(other)).toMatchObject({ code: 'CB-4090', correlationId: key });
      expect(core.journal()).toHaveLength(1);
      expect(core.stats()).toMatchObject({
        postings: 1,
        duplicatePostings: { total: 0 },
        callsByOutcome: { posted: 1, replayed: 1, idempotency_conflict: 1 },
      });
    });

    it('rejects an invalid request with CB-1001 naming the field, posts nothing, and counts a re-send', async () => {
      const { core, client } = await open();
      const key = nextKey();
      const ctx = { ClientCorrelationId: key, IdempotencyKey: key };
      const bad = { ...payment(), Amount: { MinorUnits: 0, CurrencyCode: 'gbp' } };
      const fault = faultOf(await call(client, 'PostPayment', bad, ctx));
      expect(fault.code).toBe('CB-1001');
      expect(fault.message).toContain('Amount.MinorUnits: must be an integer ≥ 1');
      expect(fault.message).toContain('Amount.CurrencyCode: must be 3 upper-case letters');
      await call(client, 'PostPayment', bad, ctx);
      expect(core.journal()).toHaveLength(0);
      expect(core.stats().invalidThenRetried).toEqual({ total: 1, byIdempotencyKey: { [key]: 1 } });
    });

    it('rejects a write on a closed account with CB-1002', async () => {
      const { core, client } = await open();
      const key = nextKey();
      const closed = { ...payment(), AccountNumber: '4000999999' };
      expect(
        faultOf(await call(client, 'PostPayment', closed, { ClientCorrelationId: key, IdempotencyKey: key }))
          .code,
      ).toBe('CB-1002');
      expect(core.journal()).toHaveLength(0);
    });

    it('refuses a call without a ClientCorrelationId (CB-1001)', async () => {
      const { core, client } = await open();
      const fault = faultOf(await call(client, 'PostPayment', payment(), { IdempotencyKey: nextKey() }));
      expect(fault).toMatchObject({
        code: 'CB-1001',
        message: expect.stringContaining('RequestContext.ClientCorrelationId'),
      });
      expect(core.journal()).toHaveLength(0);
    });

    it('finds a posting by ClientCorrelationId or TransactionRef, and says Found false otherwise', async () => {
      const { client } = await open();
      const key = nextKey();
      const posted = await call(client, 'PostPayment', payment(), {
        ClientCorrelationId: key,
        IdempotencyKey: key,
      });
      const ref = posted.ok ? String(posted.result.TransactionRef) : 'none';
      const query = (args: Json): Promise<Outcome> =>
        call(client, 'QueryTransaction', args, { ClientCorrelationId: 'reconciler' });
      const byCorrelation = await query({ ClientCorrelationId: key });
      const byRef = await query({ TransactionRef: ref });
      const unknown = await query({ ClientCorrelationId: 'never-sent' });
      const mismatch = await query({ ClientCorrelationId: 'never-sent', TransactionRef: ref });
      expect(byCorrelation.ok && byCorrelation.result).toEqual({
        Found: true,
        TransactionRef: ref,
        Operation: 'PostPayment',
        Status: 'POSTED',
      });
      expect(byRef.ok && byRef.result).toEqual({
        Found: true,
        TransactionRef: ref,
        Operation: 'PostPayment',
        Status: 'POSTED',
      });
      expect(unknown.ok && unknown.result).toEqual({ Found: false });
      expect(mismatch.ok && mismatch.result).toEqual({ Found: false });
      expect(faultOf(await query({})).code).toBe('CB-1001');
    });

    it('lists the postings committed within a time window, with key, ref, amount, currency and posted-at', async () => {
      let clock = Date.parse('2025-03-01T10:00:00.000Z');
      const { core, client } = await open({ now: () => clock });
      const keys = [nextKey(), nextKey(), nextKey()];
      for (const [i, key] of keys.entries()) {
        clock = Date.parse(`2025-03-01T1${i}:00:00.000Z`);
        const posted = await call(client, 'PostPayment', payment(`ref-${i}`, 100 + i), { ClientCorrelationId: key, IdempotencyKey: key });
        if (!posted.ok) throw posted.error;
      }
      const list = (args: Json): Promise<Outcome> => call(client, 'ListTransactions', args, { ClientCorrelationId: 'reconciler' });
      // [10:00, 12:00): the 12:00 posting is outside a half-open window.
      const window = await list({ PostedFrom: '2025-03-01T10:00:00.000Z', PostedTo: '2025-03-01T12:00:00.000Z' });
      if (!window.ok) throw window.error;
      const transactions = ([] as Json[]).concat(window.result.Transaction);
      expect(transactions.map((t: Json) => [t.TransactionRef, t.IdempotencyKey, Number(t.MinorUnits), t.CurrencyCode, new Date(t.PostedAt).toISOString()])).toEqual([
        [core.journal()[0]!.transactionRef, keys[0], 100, 'GBP', '2025-03-01T10:00:00.000Z'],
        [core.journal()[1]!.transactionRef, keys[1], 101, 'GBP', '2025-03-01T11:00:00.000Z'],
      ]);
      expect(window.result.Truncated).toBe(false);

      const cut = await list({ PostedFrom: '2025-03-01T00:00:00.000Z', PostedTo: '2025-03-02T00:00:00.000Z', MaxResults: 2 });
      if (!cut.ok) throw cut.error;
      expect(([] as Json[]).concat(cut.result.Transaction)).toHaveLength(2);
      expect(cut.result.Truncated).toBe(true);

      const empty = await list({ PostedFrom: '2025-03-02T00:00:00.000Z', PostedTo: '2025-03-03T00:00:00.000Z' });
      expect(empty.ok && empty.result.Transaction).toBeUndefined();
      const backwards = faultOf(await list({ PostedFrom: '2025-03-02T00:00:00.000Z', PostedTo: '2025-03-01T00:00:00.000Z' }));
      expect(backwards).toMatchObject({ code: 'CB-1001', message: expect.stringContaining('PostedTo') });
      expect(core.journal()).toHaveLength(3);
      expect(core.stats().callsByOutcome.list_answered).toBe(3);
    });

    it.each([
      ['vendor_invalid', 'CB-1001', 'invalid_request'],
      ['vendor_transient', 'CB-5003', 'host_unavailable'],
    ] as const)('%s faults %s and posts nothing', async (mode, code, outcome) => {
      const { core, client } = await open({ faults: [{ mode, count: 1 }] });
      const key = nextKey();
      expect(
        faultOf(
          await call(client, 'PostPayment', payment(), { ClientCorrelationId: key, IdempotencyKey: key }),
        ).code,
      ).toBe(code);
      expect(core.journal()).toHaveLength(0);
      expect(core.stats().faultsInjected[mode]).toBe(1);
      expect(core.stats().callsByOutcome[outcome]).toBe(1);
      // Counted faults expire: the next call goes through.
      const next = await call(client, 'PostPayment', payment(), {
        ClientCorrelationId: key,
        IdempotencyKey: `${key}-b`,
      });
      expect(next.ok).toBe(true);
    });

    it('throttles with CB-4290 and RetryAfterSeconds, and counts a re-send that came too early', async () => {
      const { core, client } = await open({
        faults: [{ mode: 'throttled', count: 1, retryAfterSeconds: 30 }],
      });
      const key = nextKey();
      const ctx = { ClientCorrelationId: key, IdempotencyKey: key };
      expect(faultOf(await call(client, 'PostPayment', payment(), ctx))).toMatchObject({
        code: 'CB-4290',
        retryAfterSeconds: 30,
      });
      expect(core.journal()).toHaveLength(0);
      await call(client, 'PostPayment', payment(), ctx);
      expect(core.stats().retryAfterViolations.total).toBe(1);
    });

    it('vendor_ambiguous posts and then faults CB-9001', async () => {
      const { core, client } = await open({ faults: [{ mode: 'vendor_ambiguous', count: 1 }] });
      const key = nextKey();
      expect(
        faultOf(
          await call(client, 'PostPayment', payment(), { ClientCorrelationId: key, IdempotencyKey: key }),
        ),
      ).toMatchObject({
        code: 'CB-9001',
        correlationId: key,
      });
      expect(core.journal().map((e) => e.idempotencyKey)).toEqual([key]);
    });

    it('slow_commit posts and answers after the client gave up', async () => {
      const { core, client } = await open({ faults: [{ mode: 'slow_commit', count: 1, delayMs: 1_000 }] });
      const key = nextKey();
      const outcome = await call(
        client,
        'PostPayment',
        payment(),
        { ClientCorrelationId: key, IdempotencyKey: key },
        200,
      );
      expect(outcome.ok).toBe(false);
      expect(core.journal().map((e) => e.idempotencyKey)).toEqual([key]);
    });

    it('commit_then_timeout posts and drops the connection without answering', async () => {
      const { core, client } = await open({ faults: [{ mode: 'commit_then_timeout', count: 1 }] });
      const key = nextKey();
      const outcome = await call(client, 'PostPayment', payment(), {
        ClientCorrelationId: key,
        IdempotencyKey: key,
      });
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.root).toBeUndefined();
      expect(core.journal().map((e) => e.idempotencyKey)).toEqual([key]);
      expect(core.stats().callsByOutcome.posted_unanswered).toBe(1);
    });

    it('server_retry posts once when the request carries an IdempotencyKey', async () => {
      const { core, client } = await open({ faults: [{ mode: 'server_retry', count: 1 }] });
      const key = nextKey();
      const outcome = await call(client, 'PostPayment', payment(), {
        ClientCorrelationId: key,
        IdempotencyKey: key,
      });
      expect(outcome.ok && outcome.result.TransactionRef).toBe('CB0000000001');
      expect(core.journal()).toHaveLength(1);
      expect(core.stats().faultsInjected.server_retry).toBe(1);
    });

    it('server_retry posts twice when the request carries no IdempotencyKey', async () => {
      const { core, client } = await open({ faults: [{ mode: 'server_retry', count: 1 }] });
      const outcome = await call(client, 'PostPayment', payment(), { ClientCorrelationId: 'no-key' });
      expect(outcome.ok).toBe(true);
      expect(core.journal().map((e) => [e.clientCorrelationId, e.internalRetry])).toEqual([
        ['no-key', false],
        ['no-key', true],
      ]);
      expect(core.stats().postingsWithoutIdempotencyKey).toBe(2);
    });

    it('fail_all faults every call CB-5003 and reports unhealthy until cleared', async () => {
      const { core, client } = await open();
      const response = await fetch(`${core.baseUrl}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ mode: 'fail_all' }),
      });
      expect(response.status).toBe(201);
      const key = nextKey();
      expect(
        faultOf(
          await call(client, 'PostPayment', payment(), { ClientCorrelationId: key, IdempotencyKey: key }),
        ).code,
      ).toBe('CB-5003');
      expect(
        faultOf(
          await call(client, 'QueryTransaction', { ClientCorrelationId: key }, { ClientCorrelationId: 'q' }),
        ).code,
      ).toBe('CB-5003');
      expect((await fetch(`${core.baseUrl}/health`)).status).toBe(503);
      expect(((await (await fetch(`${core.baseUrl}/_sim/faults`)).json()) as Json).rules).toEqual([
        { mode: 'fail_all' },
      ]);
      expect((await fetch(`${core.baseUrl}/_sim/faults`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${core.baseUrl}/health`)).status).toBe(200);
      expect(core.journal()).toHaveLength(0);
    });
  });

  it('validates fault rules posted to /_sim/faults, naming the field', async () => {
    const core = await start();
    const response = await fetch(`${core.baseUrl}/_sim/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mode: 'throttled', count: 0 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).errors).toEqual([expect.objectContaining({ field: 'count' })]);
  });

  it('serves journal and stats over HTTP, and mirrors the journal to a JSONL file that survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soap-core-'));
    try {
      const journalFile = join(dir, 'journal.jsonl');
      const core = await start({ journalFile });
      const client = await createClientAsync(core.wsdlUrl, { disableCache: true });
      await call(client, 'PostPayment', payment(), { ClientCorrelationId: 'k1', IdempotencyKey: 'k1' });
      expect(((await (await fetch(`${core.baseUrl}/_sim/journal`)).json()) as Json).entries).toHaveLength(1);
      expect(((await (await fetch(`${core.baseUrl}/_sim/stats`)).json()) as Json).postings).toBe(1);
      await core.close();
      expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(1);

      const restarted = await start({ journalFile });
      const client2 = await createClientAsync(restarted.wsdlUrl, { disableCache: true });
      const replay = await call(client2, 'PostPayment', payment(), {
        ClientCorrelationId: 'k1',
        IdempotencyKey: 'k1',
      });
      expect(replay.ok && replay.result.TransactionRef).toBe('CB0000000001');
      expect(restarted.journal()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
