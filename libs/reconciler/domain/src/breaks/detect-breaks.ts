import {
  breakScope,
  type BreakKind,
  type BreakRules,
  type CaseCompletion,
  type DetectedBreak,
  type Expectation,
  type Extract,
  type Posting,
  type PostedTwiceContext,
  type PostingInContext,
} from './break-kinds';

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

/** The kinds judged against a destination's extract: judged (and resolvable by absence) only when it was read. */
const EXTRACT_KINDS = [
  'APPLIED_MISSING_IN_CORE',
  'IN_CORE_NOT_REQUESTED',
  'FAILED_BUT_POSTED',
  'SHARED_PROVIDER_REF',
  'POSTED_TWICE',
] as const satisfies readonly BreakKind[];

const baseOf = (e: Expectation) => ({
  destination: e.destination,
  idempotencyKey: e.idempotencyKey,
  caseId: e.caseId,
  workflowId: e.workflowId,
  correlationId: e.correlationId,
  protocol: e.protocol,
});

/** Every break visible in the reconciler's view and the cores' extracts at `now`. Pure: no I/O, no clock. */
export function detectBreaks(input: DetectionInput): Detection {
  const { now, rules } = input;
  const breaks: DetectedBreak[] = [];
  const evaluated = new Set<string>(['REQUESTED_NO_RESULT', 'UNKNOWN_PAST_TTL', 'COMPLETED_WITHOUT_WRITEBACKS']);

  for (const e of input.expectations) {
    if (e.requestedAt !== null && e.resultAt === null && now - e.requestedAt > rules.resultWindowMs) {
      breaks.push({
        key: `REQUESTED_NO_RESULT:${e.destination}:${e.idempotencyKey}`,
        kind: 'REQUESTED_NO_RESULT',
        ...baseOf(e),
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
        ...baseOf(e),
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
    for (const kind of EXTRACT_KINDS) evaluated.add(breakScope(kind, destination));
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
        ...baseOf(e),
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
    const postingsOfKey = postingsByKey(extract.postings);
    breaks.push(
      ...failedButPosted(extract, keys, postingsOfKey, settledBy),
      ...postedTwice(extract, keys, postingsOfKey),
    );
  }
  breaks.push(...sharedProviderRefs(byDestination, input.extracts));

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

/** An extract's postings per idempotency key, each posting once (an extract may list one twice across pages). */
function postingsByKey(postings: readonly Posting[]): Map<string, Posting[]> {
  const byKey = new Map<string, Posting[]>();
  for (const p of postings) {
    if (p.idempotencyKey === null) continue;
    const list = byKey.get(p.idempotencyKey) ?? [];
    if (!list.some((q) => q.providerRef === p.providerRef)) list.push(p);
    byKey.set(p.idempotencyKey, list);
  }
  for (const list of byKey.values())
    list.sort((a, b) => a.postedAt - b.postedAt || a.providerRef.localeCompare(b.providerRef));
  return byKey;
}

const inContext = (p: Posting): PostingInContext => ({
  providerRef: p.providerRef,
  amountMinor: p.amountMinor,
  currency: p.currency,
  postedAt: new Date(p.postedAt).toISOString(),
});

const amount = (p: PostingInContext): string =>
  p.amountMinor === null ? 'amount unknown' : `${p.amountMinor} minor units ${p.currency ?? ''}`.trim();

/**
 * FAILED_BUT_POSTED: our latest result says FAILED_PERMANENT, yet the core lists a posting under the key — a false
 * failure (the core committed, then answered with an error, or a proxy answered for it). Left alone, an agent
 * retrying the case posts it a second time.
 */
function failedButPosted(
  extract: Extract,
  keys: ReadonlyMap<string, Expectation>,
  postingsOfKey: ReadonlyMap<string, Posting[]>,
  settledBy: number,
): DetectedBreak[] {
  const found: DetectedBreak[] = [];
  for (const e of keys.values()) {
    if (e.status !== 'FAILED_PERMANENT' || e.resultAt === null || e.resultAt > settledBy) continue;
    const postings = (postingsOfKey.get(e.idempotencyKey) ?? []).filter((p) => p.postedAt <= settledBy);
    const [first] = postings;
    if (!first) continue;
    const core = inContext(first);
    found.push({
      key: `FAILED_BUT_POSTED:${extract.destination}:${e.idempotencyKey}`,
      kind: 'FAILED_BUT_POSTED',
      ...baseOf(e),
      protocol: e.protocol ?? extract.protocol,
      context: {
        reason:
          `writeback.result says FAILED_PERMANENT (${e.errorClass ?? 'no error class'}) but ${extract.destination}'s extract ` +
          `lists posting ${first.providerRef} (${amount(core)}) under the key: do not retry it, that would post it again`,
        ours: {
          status: e.status,
          errorClass: e.errorClass,
          failedAt: iso(e.resultAt),
          requestedAt: iso(e.requestedAt),
        },
        core,
        corePostings: postings.map(inContext),
        providerRef: first.providerRef,
        amountMinor: first.amountMinor,
        currency: first.currency,
        operation: e.operation,
        extractWindow: { from: iso(extract.from), to: iso(extract.to) },
      },
    });
  }
  return found;
}

/**
 * POSTED_TWICE: the core lists two or more postings (distinct references) under one key we requested — a batch
 * re-ingested after a crash, a core that ignored the key. One is ours to keep: the one our result named, else the
 * first posted; the others are to be reversed.
 */
function postedTwice(
  extract: Extract,
  keys: ReadonlyMap<string, Expectation>,
  postingsOfKey: ReadonlyMap<string, Posting[]>,
): DetectedBreak[] {
  const found: DetectedBreak[] = [];
  for (const [key, postings] of postingsOfKey) {
    const e = keys.get(key);
    const [earliest] = postings;
    if (!e || !earliest || postings.length < 2) continue;
    const named = postings.find((p) => p.providerRef === e.providerRef);
    const kept = named ?? earliest;
    const reverse = postings.filter((p) => p !== kept).map(inContext);
    const reversal = `reverse ${reverse.map((p) => `${p.providerRef} (${amount(p)})`).join(', ')} at ${extract.destination}; keep ${kept.providerRef}`;
    const context: PostedTwiceContext = {
      // The reason is what the exception queue shows: it names the reversal to make.
      reason: `${extract.destination} lists ${postings.length} postings under key ${key} (${postings.map((p) => p.providerRef).join(', ')}), posted ${postings.length} times: ${reversal}`,
      postings: postings.map(inContext),
      keep: {
        providerRef: kept.providerRef,
        why: named
          ? 'the posting writeback.result reported'
          : 'the first posted (no writeback.result named one of them)',
      },
      reverse,
      reversal,
    };
    found.push({
      key: `POSTED_TWICE:${extract.destination}:${key}`,
      kind: 'POSTED_TWICE',
      ...baseOf(e),
      protocol: e.protocol ?? extract.protocol,
      context: { ...context },
    });
  }
  return found;
}

/**
 * SHARED_PROVIDER_REF: one reference on one destination claimed by writebacks of different keys — a proxy that mixed
 * up answers, a core that reused a reference. Our results say who claims it; the core's extract, when read, adds
 * the keys it lists under it. A break per key of ours, each naming all of them, so every case involved is flagged:
 * the one holding a foreign reference may never have been posted at all (APPLIED_MISSING_IN_CORE cannot see it,
 * since the reference it holds is in the core). Opened from our results alone when the extract could not be read;
 * resolved by absence only when it was (see EXTRACT_KINDS).
 */
function sharedProviderRefs(
  byDestination: ReadonlyMap<string, ReadonlyMap<string, Expectation>>,
  extracts: ReadonlyMap<string, Extract>,
): DetectedBreak[] {
  const found: DetectedBreak[] = [];
  const destinations = new Set([...byDestination.keys(), ...extracts.keys()]);
  for (const destination of destinations) {
    const keys = byDestination.get(destination) ?? new Map<string, Expectation>();
    const extract = extracts.get(destination);
    const claims = new Map<string, Map<string, { seenIn: Set<string>; posting: Posting | null }>>();
    const claim = (ref: string, key: string, seenIn: string, posting: Posting | null) => {
      const byKey = claims.get(ref) ?? new Map<string, { seenIn: Set<string>; posting: Posting | null }>();
      const entry = byKey.get(key) ?? { seenIn: new Set<string>(), posting: null };
      entry.seenIn.add(seenIn);
      entry.posting ??= posting;
      byKey.set(key, entry);
      claims.set(ref, byKey);
    };
    for (const e of keys.values())
      if (e.providerRef !== null) claim(e.providerRef, e.idempotencyKey, 'writeback.result', null);
    for (const p of extract?.postings ?? [])
      if (p.idempotencyKey !== null) claim(p.providerRef, p.idempotencyKey, 'extract', p);
    for (const [ref, byKey] of claims) {
      if (byKey.size < 2) continue;
      const claimants = [...byKey.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, c]) => {
          const e = keys.get(key);
          return {
            idempotencyKey: key,
            caseId: e?.caseId ?? null,
            status: e?.status ?? null,
            requested: e !== undefined,
            seenIn: [...c.seenIn].sort(),
            amountMinor: c.posting?.amountMinor ?? null,
            currency: c.posting?.currency ?? null,
          };
        });
      for (const c of claimants) {
        const e = keys.get(c.idempotencyKey);
        if (!e) continue;
        const others = claimants
          .filter((o) => o.idempotencyKey !== c.idempotencyKey)
          .map((o) => o.idempotencyKey);
        found.push({
          key: `SHARED_PROVIDER_REF:${destination}:${ref}:${e.idempotencyKey}`,
          kind: 'SHARED_PROVIDER_REF',
          ...baseOf(e),
          protocol: e.protocol ?? extract?.protocol ?? null,
          context: {
            reason: `provider ref ${ref} on ${destination} is claimed by ${claimants.length} idempotency keys (${claimants.map((o) => o.idempotencyKey).join(', ')}): one posting cannot be ${claimants.length} writebacks, so at least one answer was not its writeback's own`,
            providerRef: ref,
            keys: claimants,
            sharedWith: others,
            judgedAgainstExtract: extract !== undefined,
          },
        });
      }
    }
  }
  return found;
}
