/**
 * The facts of open links whose page was just shown (`GET /l/:token`), kept a few minutes so that the customer's
 * Continue (`POST /l/:token`) need not read the link again before the guarded open. Only facts that never change once
 * a link is stored are kept (its case, correlation, locale and trace context); whether the link is still OPEN and
 * unexpired is decided by the open's own `UPDATE … WHERE status = 'OPEN' AND expires_at > now()`, never by this cache. A miss (a
 * Continue on another replica, after the TTL, or after eviction) reads the link as before.
 *
 * Bounded: at most `maxEntries` links, the oldest dropped first; an entry is dropped once used.
 */
import { linkFactsOf, type LinkFacts } from '../sessions/session-store';

export interface LinkFactsCacheSettings {
  ttlMs: number;
  maxEntries: number;
}

export class LinkFactsCache {
  private readonly entries = new Map<string, { until: number; facts: LinkFacts }>();

  constructor(
    private readonly settings: LinkFactsCacheSettings = { ttlMs: 5 * 60_000, maxEntries: 10_000 },
    private readonly now: () => number = Date.now,
  ) {}

  remember(tokenSha256: string, facts: LinkFacts): void {
    if (this.settings.ttlMs <= 0 || this.settings.maxEntries <= 0) return;
    this.entries.delete(tokenSha256);
    while (this.entries.size >= this.settings.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(tokenSha256, {
      until: this.now() + this.settings.ttlMs,
      facts: linkFactsOf(facts),
    });
  }

  /** The kept facts of the link, once: the entry is dropped whether or not it is still fresh. */
  take(tokenSha256: string): LinkFacts | undefined {
    const kept = this.entries.get(tokenSha256);
    if (!kept) return undefined;
    this.entries.delete(tokenSha256);
    return kept.until > this.now() ? kept.facts : undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
