/**
 * TEST DOUBLE's own tests — the simulated REST core banking system (a stand-in for a bank's system of record).
 * Opens real local sockets, hence an integration spec; it needs none of the devstack services itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRestCore, type RestCore, type RestCoreOptions } from '.';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are arbitrary JSON, read only by assertions.
type Json = any;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Json;
}

interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One HTTP exchange on a fresh connection; rejects with the socket error (or `client timeout`) like a real client. */
function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: {
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    if (options.timeoutMs !== undefined)
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

const V1 = '2024-06-01';
const V2 = '2025-01-15';
const payment = {
  account_number: '4000123456',
  amount: { value_minor: 12550, currency: 'GBP' },
  payment_token: 'pm_tok_1',
  external_reference: 'CLOSEOUT-1',
};

describe('simulated REST core (test double)', () => {
  let core: RestCore;
  let dir: string;
  const started: RestCore[] = [];

  async function start(options: RestCoreOptions = {}): Promise<RestCore> {
    const instance = await startRestCore(options);
    started.push(instance);
    return instance;
  }

  const post = (
    path: string,
    body: unknown,
    key?: string,
    extra: Omit<CallOptions, 'body'> = {},
  ): Promise<Reply> =>
    call(core.url, 'POST', path, {
      ...extra,
      body,
      headers: {
        'Api-Version': V1,
        ...(key === undefined ? {} : { 'Idempotency-Key': key }),
        ...extra.headers,
      },
    });
  const get = (path: string): Promise<Reply> =>
    call(core.url, 'GET', path, { headers: { 'Api-Version': V1 } });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rest-core-'));
    core = await start();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('API surface', () => {
    it('accepts the golden wire payloads of every core-banking-rest v1 mapping at its endpoint', async () => {
      const golden = join(__dirname, '../../../libs/writeback/domain/src/mappings/golden/core-banking-rest');
      const endpoints: [string, string, string][] = [
        ['payment.post', '/api/payments', 'pay_'],
        ['card.update', '/api/cards', 'card_'],
        ['arrangement.create', '/api/arrangements', 'arr_'],
        ['address.update', '/api/addresses', 'addr_'],
        ['document.attach', '/api/documents', 'doc_'],
        ['flag.clear', '/api/flags', 'flag_'],
      ];
      for (const [operation, path, prefix] of endpoints) {
        const body: unknown = JSON.parse(
          readFileSync(join(golden, operation, 'v1', 'expected.json'), 'utf8'),
        );
        const reply = await post(path, body, `golden-${operation}`);
        expect({ operation, status: reply.status }).toEqual({ operation, status: 201 });
        expect(reply.body.transaction_id).toMatch(new RegExp(`^${prefix}\\d{8}$`));
        expect(reply.body.operation).toBe(operation);
      }
      expect(core.journal().map((e) => e.operation)).toEqual(endpoints.map(([op]) => op));
    });

    it('takes the reshaped payment under API 2025-01-15 and rejects the old shape there', async () => {
      const golden = join(
        __dirname,
        '../../../libs/writeback/domain/src/mappings/golden/core-banking-rest/payment.post',
      );
      const v2Body: unknown = JSON.parse(readFileSync(join(golden, 'v2', 'expected.json'), 'utf8'));
      expect((await post('/api/payments', v2Body, 'v2', { headers: { 'Api-Version': V2 } })).status).toBe(
        201,
      );
      const old = await post('/api/payments', payment, 'v1-under-v2', { headers: { 'Api-Version': V2 } });
      expect(old.status).toBe(422);
      expect(old.body.errors).toEqual(expect.arrayContaining([{ field: 'account', rule: 'is required' }]));
    });

    it('rejects a write that does not pin a supported Api-Version, and commits nothing', async () => {
      const missing = await call(core.url, 'POST', '/api/payments', { body: payment });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ error: 'unsupported_api_version', accepted_versions: [V1, V2] });
      const unpinned = await post('/api/payments', payment, 'k', { headers: { 'Api-Version': 'latest' } });
      expect(unpinned.status).toBe(400);
      expect(unpinned.body.error).toBe('unsupported_api_version');

      const onlyV1 = await start({ acceptedApiVersions: [V1] });
      const v2 = await call(onlyV1.url, 'POST', '/api/payments', {
        body: payment,
        headers: { 'Api-Version': V2 },
      });
      expect(v2.status).toBe(400);
      expect(core.journal()).toHaveLength(0);
      expect(onlyV1.journal()).toHaveLength(0);
    });

    it('answers 422 naming each invalid field, and 400 for a body that is not JSON', async () => {
      const invalid = await post(
        '/api/payments',
        { ...payment, amount: { value_minor: 125.5, currency: 'gbp' }, memo: 'x' },
        'bad',
      );
      expect(invalid.status).toBe(422);
      expect(invalid.body.error).toBe('validation_failed');
      expect(invalid.body.errors).toEqual([
        { field: 'amount.value_minor', rule: 'must be an integer number of minor units' },
        { field: 'amount.currency', rule: 'must be a 3-letter ISO 4217 code' },
        { field: 'memo', rule: 'is not a recognised field' },
      ]);
      const notJson = await call(core.url, 'POST', '/api/payments', {
        rawBody: '{"account_number":',
        headers: { 'Api-Version': V1, 'Content-Type': 'application/json' },
      });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error).toBe('invalid_json');
      const card = await post(
        '/api/cards',
        { account_number: 'A1', card_token: '4111111111111111', expiry: '2029-03' },
        'pan',
      );
      expect(card.body.errors).toEqual([{ field: 'card_token', rule: 'must be a token, not a card number' }]);
      expect(core.journal()).toHaveLength(0);
    });

    it('reports healthy', async () => {
      expect(await call(core.url, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the original answer for the same key and body, posting nothing new', async () => {
      const first = await post('/api/payments', payment, 'key-1');
      const reordered = {
        external_reference: payment.external_reference,
        payment_token: payment.payment_token,
        amount: { currency: 'GBP', value_minor: 12550 },
        account_number: payment.account_number,
      };
      const second = await post('/api/payments', reordered, 'key-1');
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(core.journal()).toHaveLength(1);
      expect(core.stats()).toMatchObject({
        postings: 1,
        writesByOutcome: { created: 1, replayed: 1 },
        duplicatePostings: { total: 0 },
      });
    });

    it('answers 422 idempotency_key_reused for the same key with a different body', async () => {
      const first = await post('/api/payments', payment, 'key-1');
      const reused = await post(
        '/api/payments',
        { ...payment, amount: { value_minor: 99, currency: 'GBP' } },
        'key-1',
      );
      expect(reused.status).toBe(422);
      expect(reused.body.error).toBe('idempotency_key_reused');
      expect(reused.body.message).toContain(first.body.transaction_id);
      // Same body at another endpoint is another request too.
      expect((await post('/api/flags', payment, 'key-1')).body.error).toBe('idempotency_key_reused');
      expect(core.journal()).toHaveLength(1);
    });

    it('posts every request anew when told to ignore keys, and counts the duplicates', async () => {
      core.setFaults({ mode: 'ignore_idempotency_key' });
      const a = await post('/api/payments', payment, 'key-dup');
      const b = await post('/api/payments', payment, 'key-dup');
      expect(a.body.transaction_id).not.toBe(b.body.transaction_id);
      expect(core.journal()).toHaveLength(2);
      expect(core.stats().duplicatePostings).toEqual({ total: 1, byIdempotencyKey: { 'key-dup': 1 } });
      expect((await get('/api/postings?idempotency_key=key-dup')).body.data).toHaveLength(2);
    });
  });

  describe('journal and reports', () => {
    it('is append-only: contiguous sequences, frozen entries, snapshots unaffected by later postings', async () => {
      await post('/api/payments', payment, 'a');
      const snapshot = core.journal();
      await post(
        '/api/flags',
        { account_number: 'A1', flag_code: 'HOLD', action: 'clear', reason_text: 'paid' },
        'b',
      );
      await post('/api/payments', payment, 'a'); // replay: no entry
      expect(snapshot).toHaveLength(1);
      const all = core.journal();
      expect(all.map((e) => e.sequence)).toEqual([1, 2]);
      expect(Object.isFrozen(all)).toBe(true);
      expect(Object.isFrozen(all[0])).toBe(true);
      expect(() => {
        (all[0] as { transactionId: string }).transactionId = 'rewritten';
      }).toThrow(TypeError);
      expect(core.journal()[0]?.transactionId).toBe('pay_00000001');
    });

    it('survives a restart through its JSONL file: same postings, same replays, sequence continues', async () => {
      const journalFile = join(dir, 'core.jsonl');
      const first = await start({ journalFile });
      const original = await call(first.url, 'POST', '/api/payments', {
        body: payment,
        headers: { 'Api-Version': V1, 'Idempotency-Key': 'persist' },
      });
      await first.close();
      const lines = readFileSync(journalFile, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        sequence: 1,
        idempotencyKey: 'persist',
        operation: 'payment.post',
      });

      const second = await start({ journalFile });
      expect(second.journal()).toHaveLength(1);
      const replay = await call(second.url, 'POST', '/api/payments', {
        body: payment,
        headers: { 'Api-Version': V1, 'Idempotency-Key': 'persist' },
      });
      expect(replay.body.transaction_id).toBe(original.body.transaction_id);
      const next = await call(second.url, 'POST', '/api/payments', {
        body: payment,
        headers: { 'Api-Version': V1, 'Idempotency-Key': 'after-restart' },
      });
      expect(next.body.transaction_id).toBe('pay_00000002');
      expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(2);
    });

    it('looks postings up by idempotency key and by transaction id, 404 when absent', async () => {
      const created = await post('/api/payments', payment, 'lookup-me');
      const byKey = await get('/api/postings?idempotency_key=lookup-me');
      expect(byKey.status).toBe(200);
      expect(byKey.body.data).toEqual([
        expect.objectContaining({
          transaction_id: created.body.transaction_id,
          status: 'posted',
          request: payment,
        }),
      ]);
      expect((await get('/api/postings?idempotency_key=never-sent')).status).toBe(404);
      const byId = await get(`/api/postings/${created.body.transaction_id as string}`);
      expect(byId.body).toMatchObject({
        transaction_id: created.body.transaction_id,
        idempotency_key: 'lookup-me',
      });
      expect((await get('/api/postings/pay_99999999')).status).toBe(404);
      expect((await call(core.url, 'GET', '/api/postings?idempotency_key=lookup-me')).status).toBe(400);
    });

    it('lists postings after a sequence, page by page, for reconciliation', async () => {
      for (const key of ['p1', 'p2', 'p3']) await post('/api/payments', payment, key);
      const page1 = await get('/api/postings?since=0&limit=2');
      expect(page1.body.data.map((p: Json) => p.idempotency_key)).toEqual(['p1', 'p2']);
      expect(page1.body).toMatchObject({ has_more: true, next_since: 2 });
      const page2 = await get(`/api/postings?since=${page1.body.next_since as number}&limit=2`);
      expect(page2.body.data.map((p: Json) => p.idempotency_key)).toEqual(['p3']);
      expect(page2.body).toMatchObject({ has_more: false, next_since: 3 });
      expect((await get('/api/postings?since=-1')).body.errors).toEqual([
        { field: 'since', rule: 'must be an integer ≥ 0' },
      ]);
    });
  });

  describe('fault injection', () => {
    it('error_5xx answers 500 without committing, once per scripted count', async () => {
      core.setFaults({ mode: 'error_5xx', count: 1 });
      const failed = await post('/api/payments', payment, 'k');
      expect(failed.status).toBe(500);
      expect(core.journal()).toHaveLength(0);
      expect((await post('/api/payments', payment, 'k')).status).toBe(201);
      expect(core.faults()).toEqual([]);
    });

    it('connection_reset drops the socket without committing', async () => {
      core.setFaults({ mode: 'connection_reset', count: 1 });
      await expect(post('/api/payments', payment, 'k')).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(core.journal()).toHaveLength(0);
      expect(core.stats().writesByOutcome.connection_reset).toBe(1);
    });

    it('slow_commit commits, then answers later than the client waits; a retry with the key replays', async () => {
      core.setFaults({ mode: 'slow_commit', count: 1, delayMs: 400 });
      await expect(post('/api/payments', payment, 'slow', { timeoutMs: 100 })).rejects.toThrow(
        'client timeout',
      );
      expect(core.journal()).toHaveLength(1);
      const retry = await post('/api/payments', payment, 'slow');
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body.transaction_id).toBe(core.journal()[0]?.transactionId);
      expect(core.stats().duplicatePostings.total).toBe(0);
    });

    it('commit_then_timeout: the client sees a socket error, yet the journal and the lookup have the posting', async () => {
      core.setFaults({ mode: 'commit_then_timeout', count: 1 });
      await expect(post('/api/payments', payment, 'ambiguous')).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(core.journal()).toEqual([expect.objectContaining({ idempotencyKey: 'ambiguous', sequence: 1 })]);
      const lookup = await get('/api/postings?idempotency_key=ambiguous');
      expect(lookup.body.data[0].transaction_id).toBe(core.journal()[0]?.transactionId);
    });

    it('commit_then_timeout with a delay holds the answer until the client gives up', async () => {
      core.setFaults({ mode: 'commit_then_timeout', count: 1, delayMs: 5_000 });
      await expect(post('/api/payments', payment, 'hang', { timeoutMs: 150 })).rejects.toThrow(
        'client timeout',
      );
      expect(core.journal()).toHaveLength(1);
    });

    it('rate_limited answers 429 with Retry-After and counts a client that comes back too early', async () => {
      core.setFaults({ mode: 'rate_limited', count: 1, retryAfterSeconds: 2 });
      const limited = await post('/api/payments', payment, 'eager');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('2');
      expect(core.journal()).toHaveLength(0);
      expect((await post('/api/payments', payment, 'eager')).status).toBe(201);
      const { retryAfterViolations } = core.stats();
      expect(retryAfterViolations.total).toBe(1);
      expect(retryAfterViolations.events[0]).toMatchObject({ idempotencyKey: 'eager' });
      expect(retryAfterViolations.events[0]!.earlyByMs).toBeGreaterThan(1_000);
    });

    it('does not count a client that waited out Retry-After', async () => {
      let clock = 1_700_000_000_000;
      const timed = await start({
        now: () => clock,
        faults: [{ mode: 'rate_limited', count: 1, retryAfterSeconds: 1 }],
      });
      const send = (): Promise<Reply> =>
        call(timed.url, 'POST', '/api/payments', {
          body: payment,
          headers: { 'Api-Version': V1, 'Idempotency-Key': 'patient' },
        });
      expect((await send()).status).toBe(429);
      clock += 1_000;
      expect((await send()).status).toBe(201);
      expect(timed.stats().retryAfterViolations.total).toBe(0);
    });

    it('invalid_4xx rejects as invalid and counts a client that re-sends the same key', async () => {
      core.setFaults({ mode: 'invalid_4xx', count: 1 });
      expect((await post('/api/payments', payment, 'stubborn')).status).toBe(422);
      expect(core.journal()).toHaveLength(0);
      await post('/api/payments', payment, 'stubborn');
      expect(core.stats().invalidThenRetried).toEqual({ total: 1, byIdempotencyKey: { stubborn: 1 } });
    });

    it('fail_all answers 503 to every write and to /health until cleared', async () => {
      core.setFaults({ mode: 'fail_all' });
      for (const key of ['a', 'b', 'c']) expect((await post('/api/payments', payment, key)).status).toBe(503);
      expect((await call(core.url, 'GET', '/health')).status).toBe(503);
      expect(core.journal()).toHaveLength(0);
      core.clearFaults();
      expect((await call(core.url, 'GET', '/health')).status).toBe(200);
      expect((await post('/api/payments', payment, 'a')).status).toBe(201);
    });

    it('hits only the matching idempotency key or path', async () => {
      core.setFaults(
        { mode: 'error_5xx', match: { idempotencyKey: 'unlucky' } },
        { mode: 'error_5xx', match: { path: '/api/cards' } },
      );
      expect((await post('/api/payments', payment, 'lucky')).status).toBe(201);
      expect((await post('/api/payments', payment, 'unlucky')).status).toBe(500);
      expect(
        (await post('/api/cards', { account_number: 'A1', card_token: 'tok_1', expiry: '2029-03' }, 'card'))
          .status,
      ).toBe(500);
    });

    it('applies a rate-based fault as often as its random source says', async () => {
      const draws = [0.05, 0.5, 0.09, 0.95];
      const seeded = await start({
        random: () => draws.shift() ?? 1,
        faults: [{ mode: 'error_5xx', rate: 0.1 }],
      });
      const statuses: number[] = [];
      for (const key of ['r1', 'r2', 'r3', 'r4']) {
        const reply = await call(seeded.url, 'POST', '/api/payments', {
          body: payment,
          headers: { 'Api-Version': V1, 'Idempotency-Key': key },
        });
        statuses.push(reply.status);
      }
      expect(statuses).toEqual([500, 201, 500, 201]);
      expect(seeded.stats().faultsInjected.error_5xx).toBe(2);
    });

    it('is scripted over HTTP: POST /_sim/faults validates, GET lists, DELETE clears', async () => {
      const bad = await call(core.url, 'POST', '/_sim/faults', { body: { mode: 'explode', count: 0 } });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: Json) => e.field)).toEqual(['mode', 'count']);
      const added = await call(core.url, 'POST', '/_sim/faults', { body: [{ mode: 'error_5xx', count: 2 }] });
      expect(added.status).toBe(201);
      expect((await call(core.url, 'GET', '/_sim/faults')).body.rules).toEqual([
        { mode: 'error_5xx', count: 2 },
      ]);
      expect((await post('/api/payments', payment, 'x')).status).toBe(500);
      expect((await call(core.url, 'GET', '/_sim/faults')).body.rules).toEqual([
        { mode: 'error_5xx', count: 1 },
      ]);
      expect((await call(core.url, 'DELETE', '/_sim/faults')).status).toBe(204);
      expect((await post('/api/payments', payment, 'x')).status).toBe(201);
      const journal = await call(core.url, 'GET', '/_sim/journal');
      expect(journal.body.entries).toHaveLength(1);
      const stats = await call(core.url, 'GET', '/_sim/stats');
      expect(stats.body).toMatchObject({ writes: 2, postings: 1, faultsInjected: { error_5xx: 1 } });
    });

    it('takes faults at startup', async () => {
      const faulty = await start({ faults: [{ mode: 'fail_all' }] });
      expect((await call(faulty.url, 'GET', '/health')).status).toBe(503);
    });
  });
});
