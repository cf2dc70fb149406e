/**
 * The orchestrator's eligible actions per session, kept a few seconds: a journey's pages (verify, the actions, the
 * action's POST) come seconds apart and would otherwise ask the same question each time. The answer only decides what
 * the page offers — the orchestrator re-checks every `miniapp.action` it receives against the case as it is then, so an
 * answer up to `ttlMs` old cannot let an ineligible action through; an action already taken is found by its
 * `action_submission` row, not by this answer. Parallel requests of one session share one call; a failed call is not
 * kept. Bounded: at most `maxEntries` sessions, the oldest dropped first.
 *
 * Hand-rolled (a Map with a deadline per entry) rather than a cache library: no direct dependency offers it, and this
 * is the whole of it.
 */
import type { EligibleActions, OrchestratorClient } from './orchestrator.client';

export interface EligibilityCacheSettings {
  ttlMs: number;
  maxEntries: number;
}

export class EligibilityCache {
  private readonly entries = new Map<string, { until: number; answer: Promise<EligibleActions> }>();

  constructor(
    private readonly orchestrator: Pick<OrchestratorClient, 'eligibleActions'>,
    private readonly settings: EligibilityCacheSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer for the session's case: a kept one younger than ttlMs, else a new call. */
  eligibleActions(sessionRef: string, caseId: string): Promise<EligibleActions> {
    const key = `${sessionRef}\u0000${caseId}`;
    const now = this.now();
    const kept = this.entries.get(key);
    if (kept && kept.until > now) return kept.answer;
    if (kept) this.entries.delete(key);
    const answer = this.orchestrator.eligibleActions(caseId);
    if (this.settings.ttlMs <= 0) return answer;
    while (this.entries.size >= this.settings.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const entry = { until: now + this.settings.ttlMs, answer };
    this.entries.set(key, entry);
    answer.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return answer;
  }
}
