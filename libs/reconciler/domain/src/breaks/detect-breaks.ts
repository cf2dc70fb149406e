import { breakScope, type BreakRules, type CaseCompletion, type DetectedBreak, type Expectation, type Extract } from './break-kinds';

export interface DetectionInput {
  now: number;
  expectations: readonly Expectation[];
  completions: readonly CaseCompletion[];
  /** One per destination whose extract could be read this pass; a failed extract is simply absent. */
  extracts: ReadonlyMap<string, Extract>;
  rules: BreakRules;
}

export interface Detection {
  breaks: DetectedBreak[];
  /** Scopes judged this pass (see `breakScope`): only breaks in these may be resolved by their absence. */
  evaluated: Set<string>;
}

/** The destination of a break no writeback the reconciler saw can be tied to. */
export const UNKNOWN_DESTINATION = 'unknown';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Every break visible in the reconciler's view and the cores' extracts at `now`. Pure: no I/O, no clock. */
export function detectBreaks(input: DetectionInput): Detection {
  const { now, rules } = input;
  const breaks: DetectedBreak[] = [];
  const evaluated = new Set<string>(['REQUESTED_NO_RESULT', 'UNKNOWN_PAST_TTL', 'COMPLETED_WITHOUT_WRITEBACKS']);
  const base = (e: Expectation) => ({
    destination: e.destination,
    idempotencyKey: e.idempotencyKey,
    caseId: e.caseId,
    workflowId: e.workflowId,
    correlationId: e.correlationId,
    protocol: e.protocol,
  });

  for (const e of input.expectations) {
    if (e.requestedAt !== null && e.resultAt === null && now - e.requestedAt > rules.resultWindowMs) {
      breaks.push({
        key: `REQUESTED_NO_RESULT:${e.destination}:${e.idempotencyKey}`,
        kind: 'REQUESTED_NO_RESULT',
        ...base(e),
        context: {
          reason: `requested ${Math.round((now - e.requestedAt) / 1000)} s ago and no writeback.result seen (window ${rules.resultWindowMs} ms)`,
          requestedAt: iso(e.requestedAt),
          operation: e.operation,
          windowMs: rules.resultWindowMs,
        },
      });
    }
    if (e.status === 'UNKNOWN' && e.resultAt !== null && now - e.resultAt > rules.unknownTtlMs) {
      breaks.push({
        key: `UNKNOWN_PAST_TTL:${e.destination}:${e.idempotencyKey}`,
        kind: 'UNKNOWN_PAST_TTL',
        ...base(e),
        context: {
          reason: `outcome UNKNOWN for ${Math.round((now - e.resultAt) / 1000)} s (TTL ${rules.unknownTtlMs} ms)`,
          unknownSince: iso(e.resultAt),
          requestedAt: iso(e.requestedAt),
          operation: e.operation,
          errorClass: e.errorClass,
          ttlMs: rules.unknownTtlMs,
        },
      });
    }
  }

  const byDestination = new Map<string, Map<string, Expectation>>();
  for (const e of input.expectations) {
    let keys = byDestination.get(e.destination);
    if (!keys) byDestination.set(e.destination, (keys = new Map()));
    keys.set(e.idempotencyKey, e);
  }
  for (const extract of input.extracts.values()) {
    const { destination } = extract;
    evaluated.add(breakScope('APPLIED_MISSING_IN_CORE', destination));
    evaluated.add(breakScope('IN_CORE_NOT_REQUESTED', destination));
    const settledBy = extract.to - rules.graceMs;
    const keys = byDestination.get(destination) ?? new Map<string, Expectation>();
    const postedKeys = new Set(extract.postings.map((p) => p.idempotencyKey).filter((k) => k !== null));
    const postedRefs = new Set(extract.postings.map((p) => p.providerRef));
    for (const e of keys.values()) {
      if (e.status !== 'APPLIED' || e.appliedAt === null) continue;
      if (e.appliedAt < extract.from || e.appliedAt > settledBy) continue;
      if (postedKeys.has(e.idempotencyKey) || (e.providerRef !== null && postedRefs.has(e.providerRef))) continue;
      breaks.push({
        key: `APPLIED_MISSING_IN_CORE:${destination}:${e.idempotencyKey}`,
        kind: 'APPLIED_MISSING_IN_CORE',
        ...base(e),
        protocol: e.protocol ?? extract.protocol,
        context: {
          reason: `writeback.result says APPLIED (provider ref ${e.providerRef ?? 'none'}) but ${destination}'s extract has no posting for the key`,
          appliedAt: iso(e.appliedAt),
          providerRef: e.providerRef,
          operation: e.operation,
          extractWindow: { from: iso(extract.from), to: iso(extract.to) },
        },
      });
    }
    for (const p of extract.postings) {
      if (p.postedAt > settledBy) continue;
      if (p.idempotencyKey !== null && keys.has(p.idempotencyKey)) continue;
      const handle = p.idempotencyKey ?? `ref:${p.providerRef}`;
      breaks.push({
        key: `IN_CORE_NOT_REQUESTED:${destination}:${handle}`,
        kind: 'IN_CORE_NOT_REQUESTED',
        destination,
        idempotencyKey: p.idempotencyKey,
        caseId: null,
        workflowId: null,
        correlationId: null,
        // Nobody requested it, so only the extract knows whose core it is.
        protocol: extract.protocol,
        context: {
          reason: `${destination} holds posting ${p.providerRef} (key ${p.idempotencyKey ?? 'none'}) that no writeback.requested asked for`,
          providerRef: p.providerRef,
          amountMinor: p.amountMinor,
          currency: p.currency,
          postedAt: iso(p.postedAt),
        },
      });
    }
  }

  const expectationsByKey = new Map<string, Expectation>();
  for (const e of input.expectations) if (!expectationsByKey.has(e.idempotencyKey)) expectationsByKey.set(e.idempotencyKey, e);
  const appliedKeys = new Set(
    input.expectations.filter((e) => e.status === 'APPLIED').map((e) => e.idempotencyKey),
  );
  for (const c of input.completions) {
    if (c.completedAt > now - rules.graceMs) continue;
    const missing = c.requiredWritebacks.filter((k) => !appliedKeys.has(k));
    if (missing.length === 0) continue;
    // The owner is the destination of a missing writeback the reconciler saw requested (or answered); failing
    // that, one of the case's other writebacks. Neither: nobody's, and the break says so (`unknown`, no protocol).
    const known =
      missing.map((k) => expectationsByKey.get(k)).find((e) => e !== undefined) ??
      input.expectations.find((e) => e.caseId === c.caseId);
    const missingKey = known && missing.includes(known.idempotencyKey) ? known.idempotencyKey : (missing[0] ?? null);
    breaks.push({
      key: `COMPLETED_WITHOUT_WRITEBACKS:${c.caseId}`,
      kind: 'COMPLETED_WITHOUT_WRITEBACKS',
      destination: known?.destination ?? UNKNOWN_DESTINATION,
      idempotencyKey: missingKey,
      caseId: c.caseId,
      workflowId: c.workflowId,
      correlationId: c.correlationId,
      protocol: known?.protocol ?? null,
      context: {
        reason: `case ${c.caseId} completed but ${missing.length} of ${c.requiredWritebacks.length} required writeback(s) are not applied per writeback.result: ${missing.join(', ')}`,
        completedAt: iso(c.completedAt),
        requiredWritebacks: c.requiredWritebacks,
        claimedApplied: c.appliedWritebacks,
        missing,
      },
    });
  }
  return { breaks, evaluated };
}

export interface OpenBreak {
  id: string;
  key: string;
  kind: DetectedBreak['kind'];
  destination: string;
}

/** New breaks to open, and open breaks to resolve because their scope was judged and they were not found again. */
export function planBreaks(
  open: readonly OpenBreak[],
  detection: Detection,
): { toOpen: DetectedBreak[]; toResolve: OpenBreak[] } {
  const openKeys = new Set(open.map((b) => b.key));
  const foundKeys = new Set(detection.breaks.map((b) => b.key));
  const seen = new Set<string>();
  const toOpen = detection.breaks.filter((b) => {
    if (openKeys.has(b.key) || seen.has(b.key)) return false;
    seen.add(b.key);
    return true;
  });
  const toResolve = open.filter(
    (b) => !foundKeys.has(b.key) && detection.evaluated.has(breakScope(b.kind, b.destination)),
  );
  return { toOpen, toResolve };
}
