import { EligibilityCache } from './eligibility-cache';
import type { EligibleActions } from './orchestrator.client';

const answerFor = (caseId: string, state = 'AWAITING_CUSTOMER'): EligibleActions => ({
  caseId,
  workflowId: 'wf',
  definitionVersion: '1',
  state,
  awaitingCustomer: state === 'AWAITING_CUSTOMER',
  identity: { method: 'OTP' },
  amount: null,
  actions: [],
});

function orchestrator(fail = false) {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    calls,
    release: () => release(),
    eligibleActions: async (caseId: string) => {
      calls.push(caseId);
      await gate;
      if (fail) throw new Error('orchestrator: answered 503');
      return answerFor(caseId, `S${calls.length}`);
    },
  };
}

describe('EligibilityCache', () => {
  it('asks once for parallel and later requests of a session within the time, again after it', async () => {
    let now = 1_000;
    const o = orchestrator();
    const cache = new EligibilityCache(o, { ttlMs: 5_000, maxEntries: 10 }, () => now);
    const parallel = [cache.eligibleActions('ses_a', 'c1'), cache.eligibleActions('ses_a', 'c1')];
    o.release();
    const [first, second] = await Promise.all(parallel);
    expect(first).toBe(second);
    now += 4_999;
    expect((await cache.eligibleActions('ses_a', 'c1')).state).toBe('S1');
    expect(o.calls).toEqual(['c1']);
    now += 1;
    expect((await cache.eligibleActions('ses_a', 'c1')).state).toBe('S2');
    // Another session of the same case asks for itself.
    expect((await cache.eligibleActions('ses_b', 'c1')).state).toBe('S3');
    expect(o.calls).toEqual(['c1', 'c1', 'c1']);
  });

  it('keeps no failed answer', async () => {
    const o = orchestrator(true);
    const cache = new EligibilityCache(o, { ttlMs: 5_000, maxEntries: 10 }, () => 0);
    o.release();
    await expect(cache.eligibleActions('ses_a', 'c1')).rejects.toThrow('503');
    await expect(cache.eligibleActions('ses_a', 'c1')).rejects.toThrow('503');
    expect(o.calls).toHaveLength(2);
  });

  it('holds at most maxEntries sessions, dropping the oldest', async () => {
    const o = orchestrator();
    o.release();
    const cache = new EligibilityCache(o, { ttlMs: 60_000, maxEntries: 2 }, () => 0);
    for (const ref of ['s1', 's2', 's3']) await cache.eligibleActions(ref, 'c');
    await cache.eligibleActions('s3', 'c');
    await cache.eligibleActions('s2', 'c');
    expect(o.calls).toHaveLength(3);
    await cache.eligibleActions('s1', 'c');
    expect(o.calls).toHaveLength(4);
  });
});
