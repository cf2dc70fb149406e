/**
 * The customer contact directory (personal data; it stays in this schema): the latest `customer.contact.v1`
 * statement per customer, and consent per (channel, purpose) where the latest `statedAt` wins (a revocation wins a
 * tie). Contact points are read only to send; they never reach a log, an event or an audit record.
 */
import type { EntityManager } from 'typeorm';
import type { CustomerContact } from '@closeout/contracts';
import type { Channel } from '@closeout/messaging-channels';
import type { ConsentRecord, ConsentSource } from '@closeout/messaging-domain';

export interface StoredContact {
  customerId: string;
  email?: string;
  phone?: string;
  timeZone?: string;
  locale?: string;
}

export interface StoredConsent {
  channel: Channel;
  purpose: string;
  granted: boolean;
  source: string;
  statedAt: number;
}

/** One statement per (channel, purpose): the latest, a revocation on a tie. */
export function latestConsents(consents: CustomerContact['consents']): CustomerContact['consents'] {
  const latest = new Map<string, CustomerContact['consents'][number]>();
  for (const c of consents) {
    const key = `${c.channel}|${c.purpose}`;
    const held = latest.get(key);
    if (!held || c.statedAt > held.statedAt || (c.statedAt === held.statedAt && !c.granted))
      latest.set(key, c);
  }
  return [...latest.values()];
}

/**
 * Applies statements in the caller's transaction, in two statements whatever their number: per customer the contact
 * points of the latest statement (`occurredAt`; a later one in the list on a tie) if not older than those held, and
 * per (customer, channel, purpose) the latest consent if newer than the one held (a revocation wins a tie) — the
 * same as applying them one by one.
 */
export async function upsertContacts(tx: EntityManager, contacts: readonly CustomerContact[]): Promise<void> {
  if (contacts.length === 0) return;
  const latest = new Map<string, CustomerContact>();
  const consents = new Map<string, CustomerContact['consents']>();
  for (const c of contacts) {
    const held = latest.get(c.customerId);
    if (!held || c.occurredAt >= held.occurredAt) latest.set(c.customerId, c);
    consents.set(c.customerId, [...(consents.get(c.customerId) ?? []), ...c.consents]);
  }
  await tx.query(
    `INSERT INTO contact (customer_id, email, phone, time_zone, locale, source_system, source_event_id, stated_at)
     SELECT c."customerId", c.email, c.phone, c."timeZone", c.locale, c."sourceSystem", c."sourceEventId",
            to_timestamp(c."occurredAt" / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS c("customerId" text, email text, phone text, "timeZone" text,
       locale text, "sourceSystem" text, "sourceEventId" text, "occurredAt" bigint)
     ON CONFLICT (customer_id) DO UPDATE SET
       email = EXCLUDED.email, phone = EXCLUDED.phone, time_zone = EXCLUDED.time_zone, locale = EXCLUDED.locale,
       source_system = EXCLUDED.source_system, source_event_id = EXCLUDED.source_event_id,
       stated_at = EXCLUDED.stated_at, updated_at = now()
     WHERE contact.stated_at <= EXCLUDED.stated_at`,
    [
      JSON.stringify(
        [...latest.values()].map((c) => ({
          customerId: c.customerId,
          email: c.email ?? null,
          phone: c.phone ?? null,
          timeZone: c.timeZone ?? null,
          locale: c.locale ?? null,
          sourceSystem: c.sourceSystem,
          sourceEventId: c.sourceEventId,
          occurredAt: c.occurredAt,
        })),
      ),
    ],
  );
  const rows = [...consents].flatMap(([customerId, stated]) =>
    latestConsents(stated).map((c) => ({ customerId, ...c })),
  );
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO contact_consent (customer_id, channel, purpose, granted, source, stated_at)
     SELECT c."customerId", c.channel, c.purpose, c.granted, c.source, to_timestamp(c."statedAt" / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS c("customerId" text, channel text, purpose text, granted boolean,
       source text, "statedAt" bigint)
     ON CONFLICT (customer_id, channel, purpose) DO UPDATE SET
       granted = EXCLUDED.granted, source = EXCLUDED.source, stated_at = EXCLUDED.stated_at, updated_at = now()
     WHERE contact_consent.stated_at < EXCLUDED.stated_at
        OR (contact_consent.stated_at = EXCLUDED.stated_at AND NOT EXCLUDED.granted)`,
    [JSON.stringify(rows)],
  );
}

/** An opt-out the customer stated to messaging: the purpose (`*`: every purpose) on every channel. */
export interface StoredRevocation {
  purpose: string;
  /** Where the customer said it. */
  channel: Channel;
  source: string;
  revokedAt: number;
}

export interface LoadedContact {
  contact: StoredContact;
  consents: StoredConsent[];
  revocations: StoredRevocation[];
}

/** A contact row as `loadContacts` and the policy's read select it (`CONTACT_COLUMNS`). */
export interface ContactDbRow {
  customer_id: string;
  email: string | null;
  phone: string | null;
  time_zone: string | null;
  locale: string | null;
  consents: Array<{
    channel: Channel;
    purpose: string;
    granted: boolean;
    source: string;
    stated_at: number;
  }>;
  revocations: Array<{ purpose: string; channel: Channel; source: string; revoked_at: number }>;
}

/**
 * The columns of a contact with its consents and opt-outs, selected from `contact c`: one row per customer, its
 * consents and revocations aggregated (each its own index scan).
 */
export const CONTACT_COLUMNS = `c.customer_id, c.email, c.phone, c.time_zone, c.locale,
       coalesce((SELECT jsonb_agg(jsonb_build_object('channel', k.channel, 'purpose', k.purpose,
                   'granted', k.granted, 'source', k.source,
                   'stated_at', floor(extract(epoch FROM k.stated_at) * 1000)::bigint))
                 FROM contact_consent k WHERE k.customer_id = c.customer_id), '[]') AS consents,
       coalesce((SELECT jsonb_agg(jsonb_build_object('purpose', r.purpose, 'channel', r.channel, 'source', r.source,
                   'revoked_at', floor(extract(epoch FROM r.revoked_at) * 1000)::bigint))
                 FROM consent_revocation r WHERE r.customer_id = c.customer_id), '[]') AS revocations`;

/** A contact row (`CONTACT_COLUMNS`) as the directory answers it. */
export function loadedContactOf(row: ContactDbRow): LoadedContact {
  return {
    revocations: row.revocations.map((r) => ({
      purpose: r.purpose,
      channel: r.channel,
      source: r.source,
      revokedAt: Number(r.revoked_at),
    })),
    contact: {
      customerId: row.customer_id,
      ...(row.email ? { email: row.email } : {}),
      ...(row.phone ? { phone: row.phone } : {}),
      ...(row.time_zone ? { timeZone: row.time_zone } : {}),
      ...(row.locale ? { locale: row.locale } : {}),
    },
    consents: row.consents.map((c) => ({
      channel: c.channel,
      purpose: c.purpose,
      granted: c.granted,
      source: c.source,
      statedAt: Number(c.stated_at),
    })),
  };
}

/** Customers' contact points, consents and opt-outs, in one statement, in the order asked; undefined for a customer with no statement held. */
export async function loadContacts(
  tx: EntityManager,
  customerIds: readonly string[],
): Promise<Array<LoadedContact | undefined>> {
  if (customerIds.length === 0) return [];
  const rows: ContactDbRow[] = await tx.query(
    `SELECT ${CONTACT_COLUMNS}
     FROM contact c WHERE c.customer_id = ANY ($1::text[])`,
    [customerIds],
  );
  const byCustomer = new Map(rows.map((row) => [row.customer_id, loadedContactOf(row)]));
  return customerIds.map((id) => byCustomer.get(id));
}

/** The policy's consent sources, from the free-text capture points systems of record state. */
const SOURCES: Record<string, ConsentSource> = {
  contract: 'contract',
  'online-banking': 'web-form',
  'mobile-app': 'web-form',
  'web-form': 'web-form',
  web: 'web-form',
  branch: 'branch',
  call: 'agent',
  agent: 'agent',
  'call-centre': 'agent',
  'preference-centre': 'preference-centre',
  'inbound-reply': 'inbound-reply',
  'list-unsubscribe': 'list-unsubscribe',
  // The customer's own opt-out in the mini-app, a web form of ours.
  'mini-app': 'web-form',
  carrier: 'carrier',
};

/**
 * The stored consents as the policy reads them: each channel's grant. A system of record's `granted: false` withdraws
 * that channel only — the channel has no consent — and is not an opt-out: the policy's revocations cover every
 * channel of a purpose and are the customer's own (a STOP reply, an unsubscribe). A capture point the policy does
 * not know is an `import`.
 */
export function consentRecordsOf(consents: readonly StoredConsent[]): ConsentRecord[] {
  return consents
    .filter((c) => c.granted)
    .map((c) => ({
      status: 'GRANTED' as const,
      channel: c.channel,
      purpose: c.purpose,
      source: SOURCES[c.source.toLowerCase()] ?? 'import',
      at: c.statedAt,
    }));
}

/** The stored opt-outs as the policy reads them: revocations of a purpose (or of every purpose) on every channel. */
export function revocationRecordsOf(revocations: readonly StoredRevocation[]): ConsentRecord[] {
  return revocations.map((r) => ({
    status: 'REVOKED' as const,
    channel: r.channel,
    purpose: r.purpose,
    source: SOURCES[r.source.toLowerCase()] ?? 'import',
    at: r.revokedAt,
  }));
}

/** The customers whose latest statement gives this phone number (the sender of an inbound reply). */
export async function customersByPhone(tx: EntityManager, phone: string): Promise<string[]> {
  const rows: Array<{ customer_id: string }> = await tx.query(
    'SELECT customer_id FROM contact WHERE phone = $1 ORDER BY customer_id',
    [phone],
  );
  return rows.map((r) => r.customer_id);
}

/**
 * Records an opt-out in the caller's transaction, once per (reply, customer, purpose): true when it is new, false
 * when this reply was already recorded (a redelivered webhook).
 */
export async function recordRevocation(
  tx: EntityManager,
  revocation: StoredRevocation & { customerId: string; providerRef: string },
): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    `INSERT INTO consent_revocation (customer_id, purpose, channel, source, provider_ref, revoked_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (provider_ref, customer_id, purpose) DO NOTHING
     RETURNING id`,
    [
      revocation.customerId,
      revocation.purpose,
      revocation.channel,
      revocation.source,
      revocation.providerRef,
      new Date(revocation.revokedAt),
    ],
  );
  return rows.length > 0;
}
