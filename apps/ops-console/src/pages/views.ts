/**
 * What the pages show, built from the other services' answers: every free text and context value passes through
 * the platform's masking (contact points and card numbers), nested context is flattened to short key/value pairs,
 * and every value is bounded. No page shows a contact point, a fact the customer was asked, or a secret.
 */
import { maskContactPoints, maskPans } from '@closeout/privacy';

const MAX_TEXT = 400;

/** A value as an operator may see it: masked, one line, bounded. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const masked = maskPans(maskContactPoints(text)).replace(/\s+/g, ' ');
  return masked.length > MAX_TEXT ? `${masked.slice(0, MAX_TEXT - 1)}…` : masked;
}

/** Context keys never shown: what identifies or reaches the customer beyond their id. */
const HIDDEN_KEYS =
  /^(email|phone|address|contact|dateOfBirth|postalCode|postcode|knownFacts|card|pan|token)$/i;

/** Nested context as `a.b: value` pairs, at most `max`. */
export function pairs(value: unknown, max = 16): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= max) return;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 3) {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        if (HIDDEN_KEYS.test(k)) continue;
        walk(child, path ? `${path}.${k}` : k, depth + 1);
      }
      return;
    }
    if (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object') && depth < 3) {
      v.slice(0, 5).forEach((x, i) => walk(x, `${path}[${i + 1}]`, depth + 1));
      return;
    }
    out.push({ key: path || 'value', value: shown(v) });
  };
  walk(value, '', 0);
  return out;
}

const when = (v: unknown): string => {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(typeof v === 'number' ? v : String(v));
  return Number.isNaN(d.getTime())
    ? shown(v)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z');
};

export const RESOLUTION_LABELS: Record<string, string> = {
  retry: 'Retry the writebacks',
  close: 'Close the case',
  hand_back: 'Hand back to the customer',
};

export interface ExceptionItem {
  exceptionId: string;
  caseId: string;
  workflowId?: string;
  kind: string;
  queue: string;
  priority: string;
  status: string;
  summary?: string | null;
  context?: Record<string, unknown> | null;
  openedAt?: string;
  resolvedAt?: string | null;
  resolution?: Record<string, unknown> | null;
  caseState?: string;
  allowedResolutions?: string[];
}

export function exceptionView(e: ExceptionItem) {
  const context = e.context ?? {};
  const { whatHappened, whatWasTried, customerDid, guidance } = context as Record<string, unknown>;
  return {
    exceptionId: e.exceptionId,
    caseId: e.caseId,
    workflowId: e.workflowId ?? '',
    kind: e.kind,
    queue: e.queue,
    priority: e.priority,
    status: e.status,
    summary: shown(e.summary),
    openedAt: when(e.openedAt),
    resolvedAt: when(e.resolvedAt),
    caseState: e.caseState ?? '',
    whatHappened: shown(whatHappened ?? e.summary),
    tried: pairs(whatWasTried),
    customerDid: pairs(customerDid),
    guidance: shown(guidance),
    resolution: e.resolution
      ? pairs(e.resolution)
          .map((p) => `${p.key}: ${p.value}`)
          .join(', ')
      : '',
    actions: (e.allowedResolutions ?? []).map((value) => ({
      value,
      label: RESOLUTION_LABELS[value] ?? value,
    })),
  };
}

export interface CaseRecord {
  caseId: string;
  workflowId: string;
  definitionVersion?: string | number;
  state: string;
  customerId?: string;
  openedAt?: string;
  updatedAt?: string;
  completedAt?: string | null;
  writebacks?: Record<string, unknown>[];
  timeline?: Record<string, unknown>[];
  timers?: Record<string, unknown>[];
  exceptions?: ExceptionItem[];
}

export function caseView(c: CaseRecord) {
  return {
    caseId: c.caseId,
    workflowId: c.workflowId,
    definitionVersion: shown(c.definitionVersion),
    state: c.state,
    customerId: shown(c.customerId),
    openedAt: when(c.openedAt),
    updatedAt: when(c.updatedAt),
    completedAt: when(c.completedAt) || '—',
    timeline: (c.timeline ?? []).map((t) => ({
      at: when(t['at']),
      kind: shown(t['kind']),
      ruleId: shown(t['ruleId']),
      detail: pairs(t['detail'], 8)
        .map((p) => `${p.key}: ${p.value}`)
        .join('; '),
    })),
    writebacks: (c.writebacks ?? []).map((w) => ({
      destination: shown(w['destination']),
      protocol: shown(w['protocol']),
      operation: shown(w['operation']),
      status: shown(w['status']),
      errorClass: shown(w['errorClass']),
      attempts: shown(w['attempts']),
      providerRef: shown(w['providerRef']) || '—',
      idempotencyKey: shown(w['idempotencyKey']),
      requestedAt: when(w['requestedAt']),
      appliedAt: when(w['appliedAt']),
      superseded: w['superseded'] === true,
    })),
    timers: (c.timers ?? []).map((t) => ({
      kind: shown(t['kind']),
      dueAt: when(t['dueAt']),
      firedAt: when(t['firedAt']),
      cancelledAt: when(t['cancelledAt']),
    })),
  };
}

export interface TrailRecord {
  seq: number;
  event: Record<string, unknown>;
}

export function auditView(records: TrailRecord[]) {
  return records.map((r) => {
    const e = r.event;
    const actor = (e['actor'] ?? {}) as Record<string, unknown>;
    return {
      seq: r.seq,
      at: when(e['occurredAt']),
      actor: `${shown(actor['type'])}:${shown(actor['id'])}`,
      action: shown(e['action']),
      outcome: shown(e['outcome']),
      reason: shown(e['reason']),
      service: shown(e['service']),
    };
  });
}

/** An alert as Alertmanager's `GET /api/v2/alerts` answers it (the fields the page shows). */
export interface AlertmanagerAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
}

export interface AlertRow {
  name: string;
  severity: string;
  since: string;
  labels: string;
  summary: string;
}

/** Alertmanager's firing alerts: the rule's name and severity, when it started, its other labels and its summary. */
export function alertmanagerAlertRows(alerts: readonly AlertmanagerAlert[]): AlertRow[] {
  return alerts.map((a) => {
    const { alertname, severity, ...rest } = a.labels ?? {};
    const annotations = a.annotations ?? {};
    return {
      name: shown(alertname),
      severity: shown(severity),
      since: when(a.startsAt),
      labels: pairs(rest, 8)
        .map((p) => `${p.key}=${p.value}`)
        .join(', '),
      summary: shown(annotations['summary'] ?? annotations['description']),
    };
  });
}

/** The reconciler's own open alerts (`GET /v1/alerts`), when no Alertmanager is configured. */
export function reconcilerAlertRows(alerts: readonly Record<string, unknown>[]): AlertRow[] {
  return alerts.map((a) => ({
    name: shown(a['kind']),
    severity: '',
    since: when(a['raisedAt']),
    labels: shown(a['key']),
    summary: pairs(a['context'], 6)
      .map((p) => `${p.key}: ${p.value}`)
      .join('; '),
  }));
}

/** The reconciler's open breaks (`GET /v1/breaks`); a case id is linked only when `linkable` accepts it. */
export function breakRows(breaks: readonly Record<string, unknown>[], linkable: (caseId: string) => boolean) {
  return breaks.map((b) => ({
    kind: shown(b['kind']),
    destination: shown(b['destination']),
    caseId: typeof b['caseId'] === 'string' && linkable(b['caseId']) ? b['caseId'] : undefined,
    detectedAt: when(b['detectedAt']),
    command: shown(b['command']),
    idempotencyKey: shown(b['idempotencyKey']),
  }));
}

export const percent = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`;

export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
};

export { when };
