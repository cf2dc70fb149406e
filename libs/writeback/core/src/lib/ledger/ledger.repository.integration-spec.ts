import { Topics, type WritebackRequested, type WritebackStatus } from '@closeout/contracts';
import {
  aRequest,
  freshWritebackSchema,
  type FreshWritebackSchema,
} from '../../test-support/fresh-writeback-schema';
import type { OutboxMessage } from '@closeout/outbox';
import { TransitionBatcher } from './transition-batcher';
import { LostLeaseError } from './ledger.errors';
import { LedgerRepository } from './ledger.repository';
import type { AttemptRecord, LedgerRow } from './ledger.types';

/** The writeback.result message a worker would emit for `row` reaching `status`. */
function resultMessage(
  row: LedgerRow,
  status: WritebackStatus,
  extra: { errorMessage?: string } = {},
): OutboxMessage {
  return {
    topic: Topics.writebackResult,
    key: { caseId: row.caseId },
    headers: { correlationId: row.correlationId, idempotencyKey: row.idempotencyKey },
    value: {
      eventId: `result-${row.id}-${status}-${Math.random()}`,
      occurredAt: Date.now(),
      correlationId: row.correlationId,
      causationId: row.request.eventId,
      idempotencyKey: row.idempotencyKey,
      destination: row.destination,
      protocol: row.protocol,
      operation: row.operation,
      caseId: row.caseId,
      workflowId: row.workflowId,
      status,
      providerRef: row.providerRef,
      errorClass: null,
      errorMessage: extra.errorMessage ?? null,
      attempts: row.attempts,
      latencyMs: 12,
      contractVersion: row.contractVersion,
      mappingVersion: row.mappingVersion,
      duplicate: false,
      destinationDegraded: false,
    },
  };
}

function auditMessage(row: LedgerRow, action: string): OutboxMessage {
  return {
    topic: Topics.auditEvent,
    key: { correlationId: row.correlationId },
    headers: { correlationId: row.correlationId, causationId: row.request.eventId },
    value: {
      eventId: `audit-${row.id}-${action}-${Math.random()}`,
      occurredAt: Date.now(),
      correlationId: row.correlationId,
      causationId: row.request.eventId,
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      action,
      outcome: 'SUCCESS',
      service: 'writeback-rest',
      host: 'test',
      reason: 'integration test',
      caseId: row.caseId,
      versions: { contract: row.contractVersion, mapping: row.mappingVersion },
      references: { idempotencyKey: row.idempotencyKey },
    },
  };
}

const sent = (): AttemptRecord => ({
  kind: 'send',
  startedAt: new Date(Date.now() - 40),
  finishedAt: new Date(),
  providerCode: '201',
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LedgerRepository (real PostgreSQL)', () => {
  let db: FreshWritebackSchema;
  let ledger: LedgerRepository;

  beforeEach(async () => {
    db = await freshWritebackSchema({ poolSize: 20 });
    ledger = new LedgerRepository(db.dataSource);
  });
  afterEach(async () => {
    await db.drop();
  });

  const count = async (table: string, where = 'true', params: unknown[] = []): Promise<number> => {
    const [r] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM "${db.schema}".${table} WHERE ${where}`,
      params,
    );
    return r.n;
  };

  describe('admit', () => {
    it('admits a request once; the same request again is a duplicate and writes nothing', async () => {
      const request = aRequest();
      const first = await ledger.admit(request, 'fp-1');
      expect(first.kind).toBe('admitted');
      expect(first.row).toMatchObject({
        status: 'PENDING',
        attempts: 0,
        fingerprint: 'fp-1',
        caseId: request.caseId,
      });
      expect(first.row.request).toEqual(request);
      expect(first.row.nextAttemptAt).not.toBeNull();

      // Kafka redelivers the same event, and the orchestrator re-requests with a new event id: both are duplicates.
      const redelivered = await ledger.admit(request, 'fp-1');
      const reRequested = await ledger.admit({ ...request, eventId: 'another-event' }, 'fp-1');

      expect(redelivered).toEqual({ kind: 'duplicate', row: first.row });
      expect(reRequested).toEqual({ kind: 'duplicate', row: first.row });
      expect(await count('ledger')).toBe(1);
      expect(await count('ledger_conflict')).toBe(0);
    });

    it('records a same-key, different-payload request as a conflict, emits its outbox messages, and leaves the original row untouched', async () => {
      const original = aRequest();
      const admitted = await ledger.admit(original, 'fp-original');
      const rival: WritebackRequested = {
        ...original,
        eventId: 'rival-event',
        correlationId: 'rival-correlation',
        payloadJson: JSON.stringify({ accountId: 'ACC-1', amountMinor: 99_999, currency: 'EUR' }),
      };

      const outcome = await ledger.admit(rival, 'fp-rival', {
        outbox: (o) =>
          o.kind === 'conflict'
            ? [resultMessage(o.row, 'REJECTED_CONFLICT'), auditMessage(o.row, 'writeback.rejected')]
            : [],
      });

      expect(outcome.kind).toBe('conflict');
      if (outcome.kind !== 'conflict') throw new Error('unreachable');
      expect(outcome.redelivered).toBe(false);
      expect(outcome.conflict).toMatchObject({
        ledgerId: admitted.row.id,
        fingerprint: 'fp-rival',
        existingFingerprint: 'fp-original',
        eventId: 'rival-event',
        correlationId: 'rival-correlation',
        request: rival,
      });
      expect(await ledger.findByKey(original.destination, original.idempotencyKey)).toEqual(admitted.row);
      const outbox: { topic: string }[] = await db.dataSource.query(
        `SELECT topic FROM "${db.schema}".outbox ORDER BY id`,
      );
      expect(outbox.map((m) => m.topic)).toEqual([Topics.writebackResult, Topics.auditEvent]);

      const again = await ledger.admit(rival, 'fp-rival');
      expect(again).toMatchObject({ kind: 'conflict', redelivered: true });
      expect(await ledger.listConflicts(admitted.row.id)).toHaveLength(1);
    });

    it('lets 100 workers race admit + claimDue on one request: exactly one admits and exactly one claim wins', async () => {
      // Two pools, as two pods would have, 40 connections in all, 100 workers with distinct lease owners.
      const otherPod = new LedgerRepository(await db.open({ poolSize: 20 }));
      const request = aRequest();

      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const repo = i % 2 === 0 ? ledger : otherPod;
          const admitted = await repo.admit(request, 'fp');
          const claimed = await repo.claimDue(`worker-${i}`, 10, 30_000);
          return { admitted: admitted.kind, claimed };
        }),
      );

      expect(results.filter((r) => r.admitted === 'admitted')).toHaveLength(1);
      expect(results.filter((r) => r.admitted === 'duplicate')).toHaveLength(99);
      const winners = results.flatMap((r) => r.claimed);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.claim.action).toBe('SEND');
      const row = await ledger.findByKey(request.destination, request.idempotencyKey);
      expect(row).toMatchObject({ status: 'IN_FLIGHT', leaseOwner: winners[0]!.claim.owner });
      expect(await count('ledger')).toBe(1);
    });
  });

  describe('claimDue', () => {
    it('takes only due rows of the given destinations, oldest first, and leaves the rest', async () => {
      const a1 = await ledger.admit(aRequest({ destination: 'a' }), 'fp');
      const b1 = await ledger.admit(aRequest({ destination: 'b' }), 'fp');
      const a2 = await ledger.admit(aRequest({ destination: 'a' }), 'fp');
      const later = await ledger.admit(aRequest({ destination: 'a' }), 'fp');
      // Fail the three 'a' rows once; a2 became due before a1, and `later` backs off for an hour.
      const dueIn = new Map([
        [a1.row.id, -1_000],
        [a2.row.id, -2_000],
        [later.row.id, 3_600_000],
      ]);
      for (const r of await ledger.claimDue('setup', 10, 60_000, ['a'])) {
        await ledger.transition(r.id, {
          from: ['IN_FLIGHT'],
          to: 'FAILED_RETRYABLE',
          owner: 'setup',
          errorClass: 'TRANSIENT',
          nextAttemptAt: new Date(Date.now() + dueIn.get(r.id)!),
        });
      }
      expect(await ledger.dueCount()).toBe(3);
      expect(await ledger.dueCount(['a'])).toBe(2);

      const claimed = await ledger.claimDue('w1', 10, 30_000, ['a']);

      expect(claimed.map((r) => r.id)).toEqual([a2.row.id, a1.row.id]);
      expect(
        claimed.every((r) => r.claim.action === 'SEND' && r.claim.previousStatus === 'FAILED_RETRYABLE'),
      ).toBe(true);
      expect((await ledger.findById(b1.row.id))!.status).toBe('PENDING');
      expect((await ledger.findById(later.row.id))!.status).toBe('FAILED_RETRYABLE');
      expect(await ledger.countByStatus()).toEqual({
        PENDING: 1,
        IN_FLIGHT: 2,
        APPLIED: 0,
        FAILED_RETRYABLE: 1,
        FAILED_PERMANENT: 0,
        UNKNOWN: 0,
        REJECTED_CONFLICT: 0,
        COMPENSATED: 0,
      });
    });

    it('reclaims a send whose lease expired as RESOLVE (status UNKNOWN), never as a plain send', async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      const [first] = await ledger.claimDue('w1', 1, 400);
      expect(first!.claim).toMatchObject({ action: 'SEND', previousStatus: 'PENDING' });
      expect(await ledger.claimDue('w2', 1, 30_000)).toEqual([]); // still leased

      await sleep(600); // w1 hangs mid-send; its lease runs out
      expect(await ledger.oldestUnknownAgeSeconds()).toBeGreaterThan(0);
      const [reclaimed] = await ledger.claimDue('w2', 1, 30_000);

      expect(reclaimed!.id).toBe(row.id);
      expect(reclaimed!.claim).toMatchObject({ action: 'RESOLVE', previousStatus: 'IN_FLIGHT', owner: 'w2' });
      expect(reclaimed).toMatchObject({ status: 'UNKNOWN', attempts: 0, leaseOwner: 'w2' });
      expect(reclaimed!.unknownSince).not.toBeNull();

      // w1 wakes up and reports: too late, the row is w2's.
      await expect(
        ledger.transition(row.id, { from: ['IN_FLIGHT'], to: 'APPLIED', owner: 'w1', attempt: sent() }),
      ).rejects.toBeInstanceOf(LostLeaseError);

      // w2 asks the destination, which holds the posting: applied, without a second send.
      const resolved = await ledger.transition(row.id, {
        from: ['UNKNOWN'],
        to: 'APPLIED',
        owner: 'w2',
        providerRef: 'CORE-42',
        attempt: { kind: 'resolve', startedAt: new Date(), finishedAt: new Date(), providerCode: '200' },
      });
      expect(resolved.row).toMatchObject({
        status: 'APPLIED',
        attempts: 0,
        providerRef: 'CORE-42',
        leaseOwner: null,
        unknownSince: null,
      });
      expect(resolved.row.appliedAt).not.toBeNull();
      expect((await ledger.listAttempts(row.id)).map((a) => a.kind)).toEqual(['resolve']);
      expect(await ledger.oldestUnknownAgeSeconds()).toBe(0);
      // The backlog gauge reads open rows only: the settled row is in the totals, not in the backlog.
      await ledger.admit(aRequest(), 'fp-2');
      expect(await ledger.countOpenByStatus()).toEqual({
        PENDING: 1,
        IN_FLIGHT: 0,
        FAILED_RETRYABLE: 0,
        UNKNOWN: 0,
      });
      expect(await ledger.countByStatus()).toMatchObject({ PENDING: 1, APPLIED: 1 });
    });

    it('hands UNKNOWN rows out as RESOLVE when due, and releaseLease gives rows back to their waiting status', async () => {
      await ledger.admit(aRequest(), 'fp');
      const [claim] = await ledger.claimDue('w1', 1, 30_000);
      await ledger.transition(claim!.id, {
        from: ['IN_FLIGHT'],
        to: 'UNKNOWN',
        owner: 'w1',
        errorClass: 'AMBIGUOUS',
        errorMessage: 'read timeout after the request was sent',
        attempt: sent(),
      });

      const [resolveClaim] = await ledger.claimDue('w2', 1, 30_000);
      expect(resolveClaim!.claim).toMatchObject({ action: 'RESOLVE', previousStatus: 'UNKNOWN' });
      expect(await ledger.releaseLease(resolveClaim!.id, 'w1')).toBe(false); // not w1's to give back
      expect(await ledger.releaseLease(resolveClaim!.id, 'w2')).toBe(true);
      expect(await ledger.findById(resolveClaim!.id)).toMatchObject({
        status: 'UNKNOWN',
        leaseOwner: null,
        attempts: 1,
      });

      const fresh = await ledger.admit(aRequest(), 'fp');
      const claims = await ledger.claimDue('w3', 10, 30_000);
      const sendClaim = claims.find((c) => c.id === fresh.row.id)!;
      expect(sendClaim.claim.action).toBe('SEND');
      expect(await ledger.releaseLease(sendClaim.id, 'w3')).toBe(true);
      expect(await ledger.findById(sendClaim.id)).toMatchObject({ status: 'PENDING', leaseOwner: null });
    });
  });

  describe('batches', () => {
    it('admits a batch with one statement: new keys admitted, repeats within the batch and known keys told apart', async () => {
      const known = aRequest();
      await ledger.admit(known, 'fp-known');
      const fresh = aRequest();
      const again = { ...fresh, eventId: 'same-key-other-event' };
      const rival = { ...known, eventId: 'rival-event' };
      const other = aRequest();

      const outcomes = await ledger.admitMany([
        { request: fresh, fingerprint: 'fp-fresh' },
        { request: again, fingerprint: 'fp-fresh' },
        { request: rival, fingerprint: 'fp-rival' },
        { request: other, fingerprint: 'fp-other' },
        { request: fresh, fingerprint: 'fp-fresh' },
      ]);

      expect(outcomes.map((o) => o.kind)).toEqual([
        'admitted',
        'duplicate',
        'conflict',
        'admitted',
        'duplicate',
      ]);
      expect(outcomes[0]!.row).toMatchObject({
        idempotencyKey: fresh.idempotencyKey,
        status: 'PENDING',
        fingerprint: 'fp-fresh',
      });
      expect(outcomes[3]!.row.request.eventId).toBe(other.eventId);
      expect(await count('ledger')).toBe(3);
      expect(await count('ledger_conflict')).toBe(1);
    });

    it('records many transitions in one statement, each guarded on its own', async () => {
      const rows = [];
      for (let i = 0; i < 3; i += 1) rows.push((await ledger.admit(aRequest(), 'fp')).row);
      const claimed = await ledger.claimDue('w1', 3, 30_000);
      expect(claimed).toHaveLength(3);

      const results = await ledger.transitionMany([
        {
          id: rows[0]!.id,
          command: {
            from: ['IN_FLIGHT'],
            to: 'APPLIED',
            owner: 'w1',
            providerRef: 'CORE-A',
            attempt: sent(),
            outbox: [resultMessage(rows[0]!, 'APPLIED'), auditMessage(rows[0]!, 'writeback.applied')],
          },
        },
        {
          id: rows[1]!.id,
          command: {
            from: ['IN_FLIGHT'],
            to: 'APPLIED',
            owner: 'someone-else',
            attempt: sent(),
            outbox: [resultMessage(rows[1]!, 'APPLIED')],
          },
        },
        {
          id: rows[2]!.id,
          command: {
            from: ['IN_FLIGHT'],
            to: 'FAILED_RETRYABLE',
            owner: 'w1',
            errorClass: 'TRANSIENT',
            errorMessage: '503',
            nextAttemptAt: new Date(Date.now() + 60_000),
            attempt: { ...sent(), errorClass: 'TRANSIENT', providerCode: '503' },
          },
        },
      ]);

      expect(results[0]).toMatchObject({
        row: { status: 'APPLIED', providerRef: 'CORE-A', attempts: 1, leaseOwner: null },
        attempt: { attemptNo: 1, outcome: 'APPLIED' },
      });
      expect(results[1]).toBeInstanceOf(LostLeaseError);
      expect(results[2]).toMatchObject({
        row: { status: 'FAILED_RETRYABLE', lastErrorClass: 'TRANSIENT' },
        attempt: { providerCode: '503' },
      });
      expect((await ledger.findById(rows[1]!.id))!.status).toBe('IN_FLIGHT');
      expect(await count('ledger_attempt')).toBe(2);
      const topics: { topic: string }[] = await db.dataSource.query(
        `SELECT topic FROM "${db.schema}".outbox ORDER BY id`,
      );
      expect(topics.map((m) => m.topic)).toEqual([Topics.writebackResult, Topics.auditEvent]);
    });

    it('batches concurrent submissions, and one transition the database refuses does not fail its neighbours', async () => {
      const rows = [];
      for (let i = 0; i < 40; i += 1) rows.push((await ledger.admit(aRequest(), 'fp')).row);
      await ledger.claimDue('w1', 40, 30_000);
      const batcher = new TransitionBatcher(ledger, { maxBatch: 16, maxInFlight: 1 });

      const outcomes = await Promise.allSettled(
        rows.map((row, i) =>
          batcher.submit(row.id, {
            from: ['IN_FLIGHT'],
            to: 'APPLIED',
            owner: 'w1',
            attempt: sent(),
            // PostgreSQL's jsonb refuses \u0000: this one row's statement must fail, alone.
            outbox: [resultMessage(row, 'APPLIED', i === 5 ? { errorMessage: 'nul \u0000' } : {})],
          }),
        ),
      );

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(39);
      expect(outcomes[5]!.status).toBe('rejected');
      expect(await count('ledger', "status = 'APPLIED'")).toBe(39);
      expect((await ledger.findById(rows[5]!.id))!.status).toBe('IN_FLIGHT');
      expect(await count('outbox')).toBe(39);
    });
  });

  describe('holdersOfProviderRefs', () => {
    it('names, for each ask in one statement, the other row of the destination already holding the reference', async () => {
      const a = (await ledger.admit(aRequest(), 'fp')).row;
      const b = (await ledger.admit(aRequest(), 'fp')).row;
      const elsewhere = (await ledger.admit(aRequest({ destination: 'other-core' }), 'fp')).row;
      await ledger.claimDue('w1', 3, 30_000);
      for (const [row, providerRef] of [
        [a, 'CORE-A'],
        [elsewhere, 'CORE-X'],
      ] as const)
        await ledger.transition(row.id, {
          from: ['IN_FLIGHT'],
          to: 'APPLIED',
          owner: 'w1',
          providerRef,
          attempt: sent(),
        });

      const holders = await ledger.holdersOfProviderRefs([
        { destination: 'core-banking', providerRef: 'CORE-A', exceptId: b.id }, // b's answer names a's posting
        { destination: 'core-banking', providerRef: 'CORE-A', exceptId: a.id }, // a's own reference
        { destination: 'core-banking', providerRef: 'CORE-B', exceptId: b.id }, // nobody's yet
        { destination: 'core-banking', providerRef: 'CORE-X', exceptId: b.id }, // held, but at another destination
        { destination: 'other-core', providerRef: 'CORE-X', exceptId: b.id },
      ]);
      expect(holders).toEqual([
        { id: a.id, idempotencyKey: a.idempotencyKey },
        null,
        null,
        null,
        { id: elsewhere.id, idempotencyKey: elsewhere.idempotencyKey },
      ]);
      expect(await ledger.holdersOfProviderRefs([])).toEqual([]);
    });
  });

  describe('transition', () => {
    it("lets exactly one of 20 concurrent transitions with messages built from the updated row win (the commands' path)", async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      await ledger.claimDue('w1', 1, 30_000);

      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          ledger.transition(row.id, {
            from: ['IN_FLIGHT'],
            to: 'APPLIED',
            owner: 'w1',
            providerRef: 'CORE-1',
            attempt: sent(),
            outbox: (updated) => [
              resultMessage(updated, 'APPLIED'),
              auditMessage(updated, 'writeback.applied'),
            ],
          }),
        ),
      );

      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      expect(lost.every((o) => o.reason instanceof LostLeaseError)).toBe(true);
      expect(await ledger.findById(row.id)).toMatchObject({
        status: 'APPLIED',
        attempts: 1,
        providerRef: 'CORE-1',
      });
      expect(await ledger.listAttempts(row.id)).toHaveLength(1);
      expect(await count('outbox')).toBe(2);
    });

    it('lets exactly one of 20 concurrent commands on an unleased, settled row win: the status guard alone decides', async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      await ledger.claimDue('w1', 1, 30_000);
      await ledger.transition(row.id, { from: ['IN_FLIGHT'], to: 'APPLIED', owner: 'w1', attempt: sent() });

      // Twenty reversal commands arrive at once; no lease is involved (owner null = "nobody holds the row").
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          ledger.transition(row.id, {
            from: ['APPLIED'],
            to: 'COMPENSATED',
            owner: null,
            outbox: (updated) => [resultMessage(updated, 'COMPENSATED')],
          }),
        ),
      );

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(
        outcomes.every(
          (o) =>
            o.status === 'fulfilled' ||
            (o.reason instanceof LostLeaseError && o.reason.found.status === 'COMPENSATED'),
        ),
      ).toBe(true);
      expect(await count('outbox')).toBe(1);
    });

    it('refuses a worker that does not hold the lease, even when the status matches', async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      await ledger.claimDue('w1', 1, 30_000);

      const attempt = ledger.transition(row.id, {
        from: ['IN_FLIGHT'],
        to: 'APPLIED',
        owner: 'w2',
        attempt: sent(),
      });

      await expect(attempt).rejects.toMatchObject({
        code: 'LEDGER_LOST_LEASE',
        found: { status: 'IN_FLIGHT', owner: 'w1' },
      });
      expect(await count('ledger_attempt')).toBe(0);
    });

    it('writes outbox rows atomically with the transition: a failure mid-transaction leaves neither', async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      await ledger.claimDue('w1', 1, 30_000);
      const before = await ledger.findById(row.id);

      // PostgreSQL's jsonb refuses \u0000: the second outbox insert fails after the UPDATE and the attempt insert.
      const failing = ledger.transition(row.id, {
        from: ['IN_FLIGHT'],
        to: 'APPLIED',
        owner: 'w1',
        attempt: sent(),
        outbox: (updated) => [resultMessage(updated, 'APPLIED', { errorMessage: 'nul \u0000 byte' })],
      });

      await expect(failing).rejects.toThrow(/unsupported Unicode escape sequence|\\u0000/);
      expect(await ledger.findById(row.id)).toEqual(before);
      expect(await count('ledger_attempt')).toBe(0);
      expect(await count('outbox')).toBe(0);

      // The lease survived the rollback, so the worker can still record the real outcome.
      const ok = await ledger.transition(row.id, {
        from: ['IN_FLIGHT'],
        to: 'APPLIED',
        owner: 'w1',
        attempt: sent(),
        outbox: (updated) => [resultMessage(updated, 'APPLIED')],
      });
      expect(await count('outbox')).toBe(1);
      expect(ok.attempt).toMatchObject({
        attemptNo: 1,
        kind: 'send',
        outcome: 'APPLIED',
        worker: 'w1',
        providerCode: '201',
      });
    });

    describe("with precomputed outbox messages through a TransitionBatcher (one statement, the workers' path)", () => {
      it('lets exactly one of 20 workers racing on one row win and writes its attempt and messages once', async () => {
        // Two pools, as two pods would have; each worker records through its own batcher, as each worker does.
        const otherPod = new LedgerRepository(await db.open({ poolSize: 20 }));
        const { row } = await ledger.admit(aRequest(), 'fp');
        const [claimed] = await ledger.claimDue('w1', 1, 30_000);
        const messages = [resultMessage(claimed!, 'APPLIED'), auditMessage(claimed!, 'writeback.applied')];

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            new TransitionBatcher(i % 2 === 0 ? ledger : otherPod).submit(row.id, {
              from: ['IN_FLIGHT'],
              to: 'APPLIED',
              owner: 'w1',
              providerRef: 'CORE-1',
              attempt: sent(),
              outbox: messages,
            }),
          ),
        );

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        expect(won).toHaveLength(1);
        expect(outcomes.every((o) => o.status === 'fulfilled' || o.reason instanceof LostLeaseError)).toBe(
          true,
        );
        const result = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<LedgerRepository['transition']>>>)
          .value;
        expect(result.row).toMatchObject({
          status: 'APPLIED',
          attempts: 1,
          providerRef: 'CORE-1',
          leaseOwner: null,
        });
        expect(result.attempt).toMatchObject({
          attemptNo: 1,
          kind: 'send',
          outcome: 'APPLIED',
          worker: 'w1',
        });
        expect(await ledger.listAttempts(row.id)).toHaveLength(1);
        const topics: { topic: string }[] = await db.dataSource.query(
          `SELECT topic FROM "${db.schema}".outbox ORDER BY id`,
        );
        expect(topics.map((m) => m.topic)).toEqual([Topics.writebackResult, Topics.auditEvent]);
      });

      it("never lets a worker whose lease was taken over overwrite the new holder's result, whichever comes first", async () => {
        const otherPod = new LedgerRepository(await db.open({ poolSize: 20 }));
        const rows: LedgerRow[] = [];
        for (let i = 0; i < 10; i += 1) rows.push((await ledger.admit(aRequest(), 'fp')).row);
        // w0's sends hang until their leases run out; w1 claims them to resolve and hangs too; w2 takes them over.
        // w1 and w2 then both hold a RESOLVE claim on an UNKNOWN row: the status alone would let either through.
        expect(await ledger.claimDue('w0', 10, 300)).toHaveLength(10);
        await sleep(500);
        expect((await ledger.claimDue('w1', 10, 300)).map((r) => r.claim.action)).toEqual(
          Array(10).fill('RESOLVE'),
        );
        await sleep(500);
        expect((await ledger.claimDue('w2', 10, 30_000)).map((r) => r.claim.action)).toEqual(
          Array(10).fill('RESOLVE'),
        );
        const stale = new TransitionBatcher(ledger);
        const holder = new TransitionBatcher(otherPod);

        // On every row at once: w1 reports its lookup as CORE-STALE, w2 its own as CORE-FOUND.
        const outcomes = await Promise.all(
          rows.map(async (row) => {
            const [late, resolved] = await Promise.allSettled([
              stale.submit(row.id, {
                from: ['UNKNOWN'],
                to: 'APPLIED',
                owner: 'w1',
                providerRef: `CORE-STALE-${row.id}`,
                attempt: {
                  kind: 'resolve',
                  startedAt: new Date(),
                  finishedAt: new Date(),
                  providerCode: 'found',
                },
                outbox: [resultMessage(row, 'APPLIED')],
              }),
              holder.submit(row.id, {
                from: ['UNKNOWN'],
                to: 'APPLIED',
                owner: 'w2',
                providerRef: `CORE-FOUND-${row.id}`,
                attempt: {
                  kind: 'resolve',
                  startedAt: new Date(),
                  finishedAt: new Date(),
                  providerCode: 'found',
                },
                outbox: [resultMessage(row, 'APPLIED'), auditMessage(row, 'writeback.applied')],
              }),
            ]);
            return { late, resolved };
          }),
        );

        for (const { late, resolved } of outcomes) {
          expect(late.status === 'rejected' && late.reason instanceof LostLeaseError).toBe(true);
          expect(resolved.status).toBe('fulfilled');
        }
        for (const row of rows) {
          expect(await ledger.findById(row.id)).toMatchObject({
            status: 'APPLIED',
            attempts: 0,
            providerRef: `CORE-FOUND-${row.id}`,
            leaseOwner: null,
          });
          expect(await ledger.listAttempts(row.id)).toMatchObject([
            { attemptNo: 1, kind: 'resolve', worker: 'w2', providerRef: `CORE-FOUND-${row.id}` },
          ]);
        }
        expect(await count('outbox')).toBe(20);
        expect(await count('outbox', 'topic = $1', [Topics.auditEvent])).toBe(10);
      });

      it('numbers attempts across transitions and writes nothing at all when the guard fails', async () => {
        const batcher = new TransitionBatcher(ledger);
        const { row } = await ledger.admit(aRequest(), 'fp');
        await ledger.claimDue('w1', 1, 30_000);
        await batcher.submit(row.id, {
          from: ['IN_FLIGHT'],
          to: 'UNKNOWN',
          owner: 'w1',
          errorClass: 'AMBIGUOUS',
          attempt: sent(),
          outbox: [],
        });
        await db.dataSource.query(`UPDATE "${db.schema}".ledger SET next_attempt_at = now() WHERE id = $1`, [
          row.id,
        ]);
        const [resolve] = await ledger.claimDue('w2', 1, 30_000);
        expect(resolve!.claim.action).toBe('RESOLVE');

        const stale = batcher.submit(row.id, {
          from: ['UNKNOWN'],
          to: 'APPLIED',
          owner: 'w1',
          attempt: { kind: 'resolve', startedAt: new Date(), finishedAt: new Date() },
          outbox: [resultMessage(resolve!, 'APPLIED')],
        });
        await expect(stale).rejects.toBeInstanceOf(LostLeaseError);
        expect(await count('outbox')).toBe(0);
        expect(await ledger.listAttempts(row.id)).toHaveLength(1);

        const resolved = await batcher.submit(row.id, {
          from: ['UNKNOWN'],
          to: 'APPLIED',
          owner: 'w2',
          providerRef: 'CORE-9',
          attempt: { kind: 'resolve', startedAt: new Date(), finishedAt: new Date() },
          outbox: [resultMessage(resolve!, 'APPLIED')],
        });
        expect(resolved.attempt).toMatchObject({ attemptNo: 2, kind: 'resolve', providerRef: 'CORE-9' });
        expect(resolved.row).toMatchObject({ status: 'APPLIED', attempts: 1, unknownSince: null });
        expect(await count('outbox')).toBe(1);
      });

      it('rolls the whole statement back when an outbox message cannot be stored', async () => {
        const batcher = new TransitionBatcher(ledger);
        const { row } = await ledger.admit(aRequest(), 'fp');
        const [claimed] = await ledger.claimDue('w1', 1, 30_000);
        const before = await ledger.findById(row.id);

        const failing = batcher.submit(row.id, {
          from: ['IN_FLIGHT'],
          to: 'APPLIED',
          owner: 'w1',
          attempt: sent(),
          outbox: [resultMessage(claimed!, 'APPLIED', { errorMessage: 'nul \u0000 byte' })],
        });

        await expect(failing).rejects.toThrow(/unsupported Unicode escape sequence|\\u0000/);
        expect(await ledger.findById(row.id)).toEqual(before);
        expect(await count('ledger_attempt')).toBe(0);
        expect(await count('outbox')).toBe(0);
      });
    });

    it('keeps attempts append-only: UPDATE, DELETE and TRUNCATE are rejected by the database', async () => {
      const { row } = await ledger.admit(aRequest(), 'fp');
      await ledger.claimDue('w1', 1, 30_000);
      await ledger.transition(row.id, {
        from: ['IN_FLIGHT'],
        to: 'FAILED_RETRYABLE',
        owner: 'w1',
        errorClass: 'TRANSIENT',
        attempt: sent(),
      });

      const attempts = `"${db.schema}".ledger_attempt`;
      await expect(db.dataSource.query(`UPDATE ${attempts} SET outcome = 'APPLIED'`)).rejects.toThrow(
        /append-only: UPDATE rejected/,
      );
      await expect(db.dataSource.query(`DELETE FROM ${attempts}`)).rejects.toThrow(
        /append-only: DELETE rejected/,
      );
      await expect(db.dataSource.query(`TRUNCATE ${attempts}`)).rejects.toThrow(
        /append-only: TRUNCATE rejected/,
      );
      expect(await ledger.listAttempts(row.id)).toMatchObject([
        { attemptNo: 1, outcome: 'FAILED_RETRYABLE', errorClass: 'TRANSIENT' },
      ]);
    });
  });

  it('scopes admit and outbox writes to one transaction with transaction()', async () => {
    const request = aRequest();
    await expect(
      ledger.transaction(async (tx) => {
        const { row } = await tx.admit(request, 'fp');
        await tx.enqueue([auditMessage(row, 'writeback.admitted')]);
        throw new Error('consumer crashed before commit');
      }),
    ).rejects.toThrow('consumer crashed before commit');
    expect(await ledger.findByKey(request.destination, request.idempotencyKey)).toBeNull();
    expect(await count('outbox')).toBe(0);
  });
});
