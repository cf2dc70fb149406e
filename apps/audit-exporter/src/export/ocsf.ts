/**
 * Audit events as OCSF 1.3 events (https://schema.ocsf.io/1.3.0): the one shape both SIEM sinks send. Pure: no I/O,
 * no clock. Field by field in docs/audit/ocsf.md.
 */

/** The audit event as the store keeps it in `audit.record.event` (audit.event.v1 as JSON). */
export interface StoredAuditEvent {
  eventId: string;
  /** Epoch milliseconds (the Avro timestamp-millis); an ISO string is accepted too. */
  occurredAt: number | string;
  correlationId: string;
  causationId?: string | null;
  actor: { type: 'SYSTEM' | 'SERVICE' | 'CUSTOMER' | 'AGENT'; id: string };
  action: string;
  outcome: 'SUCCESS' | 'FAILURE' | 'DENIED' | 'PENDING';
  service: string;
  host: string;
  reason: string;
  caseId?: string | null;
  versions?: Record<string, string>;
  references?: Record<string, string>;
}

/** One row of `audit.record` as the sinks read it. */
export interface ExportRecord {
  seq: number;
  eventId: string;
  occurredAt: Date;
  hash: string;
  event: StoredAuditEvent;
}

export const OCSF_VERSION = '1.3.0';
export const OCSF_PRODUCT = { name: 'Closeout', vendor_name: 'Closeout project' } as const;

export type OcsfClass =
  | {
      class_uid: 3002;
      class_name: 'Authentication';
      category_uid: 3;
      category_name: 'Identity & Access Management';
    }
  | {
      class_uid: 3001;
      class_name: 'Account Change';
      category_uid: 3;
      category_name: 'Identity & Access Management';
    }
  | { class_uid: 6003; class_name: 'API Activity'; category_uid: 6; category_name: 'Application Activity' };

const AUTHENTICATION: OcsfClass = {
  class_uid: 3002,
  class_name: 'Authentication',
  category_uid: 3,
  category_name: 'Identity & Access Management',
};
const ACCOUNT_CHANGE: OcsfClass = {
  class_uid: 3001,
  class_name: 'Account Change',
  category_uid: 3,
  category_name: 'Identity & Access Management',
};
const API_ACTIVITY: OcsfClass = {
  class_uid: 6003,
  class_name: 'API Activity',
  category_uid: 6,
  category_name: 'Application Activity',
};

interface Classified {
  cls: OcsfClass;
  activity_id: number;
  activity_name: string;
}

/** Identity checks of the mini-app: one-time code and known facts, verified, failed or locked. */
function isIdentityCheck(action: string): boolean {
  return /^miniapp\.(otp|identity)[-.]/.test(action) || action === 'identity.locked';
}

/** Consent, opt-outs and contact-point changes. */
function isAccountChange(action: string): boolean {
  return (
    /^consent\./.test(action) ||
    /^outreach\.opted/.test(action) ||
    /^contact\./.test(action) ||
    action === 'address.confirm'
  );
}

/** The OCSF class and activity of an audit action (API Activity Other is the documented fallback). */
export function classify(action: string): Classified {
  if (isIdentityCheck(action)) {
    // Authentication activity 1 Logon: the customer proving who they are to open the case's actions; issuing a code
    // is the step before it (99 Other, "Code issued").
    if (action === 'miniapp.otp-issued')
      return { cls: AUTHENTICATION, activity_id: 99, activity_name: 'Code issued' };
    return { cls: AUTHENTICATION, activity_id: 1, activity_name: 'Logon' };
  }
  if (isAccountChange(action)) {
    if (/^consent\.revoked|^outreach\.opted-out/.test(action)) {
      return { cls: ACCOUNT_CHANGE, activity_id: 99, activity_name: 'Consent revoked' };
    }
    if (/^contact\.|^address\./.test(action)) {
      return { cls: ACCOUNT_CHANGE, activity_id: 99, activity_name: 'Contact changed' };
    }
    return { cls: ACCOUNT_CHANGE, activity_id: 99, activity_name: 'Other' };
  }
  if (/^writeback\.requested$|^trigger\.accepted$|^case\.opened$/.test(action)) {
    return { cls: API_ACTIVITY, activity_id: 1, activity_name: 'Create' };
  }
  if (/^writeback\./.test(action)) return { cls: API_ACTIVITY, activity_id: 3, activity_name: 'Update' };
  return { cls: API_ACTIVITY, activity_id: 99, activity_name: 'Other' };
}

/** OCSF status_id: 1 Success, 2 Failure, 99 Other (pending). */
function statusOf(outcome: StoredAuditEvent['outcome']): { status_id: number; status: string } {
  switch (outcome) {
    case 'SUCCESS':
      return { status_id: 1, status: 'Success' };
    case 'FAILURE':
    case 'DENIED':
      return { status_id: 2, status: 'Failure' };
    case 'PENDING':
      return { status_id: 99, status: 'Pending' };
    default:
      return { status_id: 0, status: 'Unknown' };
  }
}

/** OCSF severity_id: 1 Informational, 3 Medium (a refusal or failure), 4 High (an identity lock). */
function severityOf(event: StoredAuditEvent): { severity_id: number; severity: string } {
  if (event.action === 'identity.locked') return { severity_id: 4, severity: 'High' };
  if (event.outcome === 'FAILURE' || event.outcome === 'DENIED')
    return { severity_id: 3, severity: 'Medium' };
  return { severity_id: 1, severity: 'Informational' };
}

/** OCSF user type_id: 1 User (customers, agents), 3 System (services, the platform). */
function userTypeOf(type: StoredAuditEvent['actor']['type']): { type_id: number; type: string } {
  switch (type) {
    case 'CUSTOMER':
    case 'AGENT':
      return { type_id: 1, type: 'User' };
    case 'SERVICE':
    case 'SYSTEM':
      return { type_id: 3, type: 'System' };
    default:
      return { type_id: 0, type: 'Unknown' };
  }
}

function epochMs(occurredAt: number | string, fallback: Date): number {
  if (typeof occurredAt === 'number' && Number.isFinite(occurredAt)) return occurredAt;
  const parsed = typeof occurredAt === 'string' ? Date.parse(occurredAt) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback.getTime();
}

export type OcsfEvent = Record<string, unknown> & {
  class_uid: number;
  category_uid: number;
  activity_id: number;
  type_uid: number;
  time: number;
  metadata: {
    uid: string;
    version: string;
    product: typeof OCSF_PRODUCT;
    correlation_uid: string;
    sequence: number;
    log_name: string;
  };
};

/** The OCSF event of one stored audit record. */
export function toOcsf(record: ExportRecord): OcsfEvent {
  const e = record.event;
  const { cls, activity_id, activity_name } = classify(e.action);
  const user = { uid: e.actor.id, ...userTypeOf(e.actor.type) };
  const endpoint = { hostname: e.host, svc_name: e.service };
  const specific: Record<string, unknown> =
    cls.class_uid === 3002
      ? { user, dst_endpoint: endpoint, is_mfa: false, auth_protocol_id: 99, auth_protocol: e.action }
      : cls.class_uid === 3001
        ? { user, dst_endpoint: endpoint }
        : { api: { operation: e.action, service: { name: e.service } }, src_endpoint: endpoint };
  return {
    ...cls,
    activity_id,
    activity_name,
    type_uid: cls.class_uid * 100 + activity_id,
    type_name: `${cls.class_name}: ${activity_name}`,
    time: epochMs(e.occurredAt, record.occurredAt),
    ...severityOf(e),
    ...statusOf(e.outcome),
    status_detail: e.reason,
    message: `${e.action} ${e.outcome.toLowerCase()}: ${e.reason}`,
    metadata: {
      uid: e.eventId,
      version: OCSF_VERSION,
      product: OCSF_PRODUCT,
      correlation_uid: e.correlationId,
      sequence: record.seq,
      log_name: 'audit.event.v1',
    },
    actor: { user, app_name: e.service },
    ...specific,
    unmapped: {
      action: e.action,
      outcome: e.outcome,
      reason: e.reason,
      case_id: e.caseId ?? null,
      causation_id: e.causationId ?? null,
      service: e.service,
      host: e.host,
      versions: e.versions ?? {},
      references: e.references ?? {},
      store_seq: record.seq,
      store_hash: record.hash,
    },
  };
}
