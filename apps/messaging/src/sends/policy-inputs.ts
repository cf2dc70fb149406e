/**
 * What the policy reads for a row before it decides, for many rows in one statement: the customer's contact points,
 * consents and opt-outs, their earlier attempts for the purpose (the frequency caps) and, where WhatsApp may carry
 * the message, when they last wrote from the contact's number (the 24-hour window). The worker's claim reads them
 * for the rows it claims in the same statement (`policyInputsLateral`); a decision taken later (a fallback after a
 * failed channel) reads them again (`loadPolicyInputs`).
 */
import type { EntityManager } from 'typeorm';
import {
  CONTACT_COLUMNS,
  type ContactDbRow,
  loadedContactOf,
  type LoadedContact,
} from '../contacts/contact-directory';
import type { SendRow } from './send-ledger';

export interface PolicyInputsAsked {
  row: SendRow;
  /** Earlier attempts from this instant on (epoch ms) count. */
  since: number;
  /** Read the WhatsApp window too. */
  whatsapp: boolean;
}

export interface PolicyInputs {
  /** Undefined: no contact statement held for the customer yet. */
  contact: LoadedContact | undefined;
  /** The instants of the customer's attempts for the purpose since `since`, this send's own excluded. */
  priorAttempts: number[];
  /** When the customer last wrote on WhatsApp from the contact's phone, if asked and ever. */
  lastWhatsAppInboundAt: number | undefined;
}

/** The inputs as `policyInputsLateral` selects them, one jsonb object (`to_jsonb`). */
export type PolicyInputsJson = { [K in keyof ContactDbRow]: ContactDbRow[K] | null } & {
  prior: number[];
  last_inbound_at: number | null;
};

/**
 * A `LEFT JOIN LATERAL … inputs` for the rows of `src` (with `customer_id`, `purpose` and the send's `id`): one row of
 * inputs where `decides` holds, none elsewhere; `since` and `whatsapp` are SQL expressions over `src` and parameters.
 * Select it as `to_jsonb(inputs)`.
 */
export function policyInputsLateral(src: string, since: string, whatsapp: string, decides = 'true'): string {
  return `LEFT JOIN LATERAL (
       SELECT ${CONTACT_COLUMNS},
         coalesce((SELECT jsonb_agg(floor(extract(epoch FROM a.attempted_at) * 1000)::bigint)
                   FROM contact_attempt a
                   WHERE a.customer_id = ${src}.customer_id AND a.purpose = ${src}.purpose AND a.send_id <> ${src}.id
                     AND a.attempted_at >= ${since}), '[]') AS prior,
         CASE WHEN ${whatsapp} THEN
           (SELECT floor(extract(epoch FROM w.last_inbound_at) * 1000)::bigint
            FROM whatsapp_inbound w WHERE w.customer_id = c.customer_id AND w.phone = c.phone) END AS last_inbound_at
       FROM (SELECT 1) AS one LEFT JOIN contact c ON c.customer_id = ${src}.customer_id
       WHERE ${decides}) AS inputs ON true`;
}

export function policyInputsOf(json: PolicyInputsJson): PolicyInputs {
  return {
    contact: json.customer_id !== null ? loadedContactOf(json as ContactDbRow) : undefined,
    priorAttempts: json.prior.map(Number),
    lastWhatsAppInboundAt: json.last_inbound_at !== null ? Number(json.last_inbound_at) : undefined,
  };
}

/** Answers in the order asked; rows may share a customer. */
export async function loadPolicyInputs(
  tx: EntityManager,
  asked: readonly PolicyInputsAsked[],
): Promise<PolicyInputs[]> {
  if (asked.length === 0) return [];
  const rows: Array<{ ord: string; inputs: PolicyInputsJson }> = await tx.query(
    `SELECT q.ord, to_jsonb(inputs) AS inputs
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (customer_id text, purpose text, id bigint,
            since timestamptz, whatsapp boolean)) WITH ORDINALITY AS q(customer_id, purpose, id, since, whatsapp, ord)
     ${policyInputsLateral('q', 'q.since', 'q.whatsapp')}`,
    [
      JSON.stringify(
        asked.map(({ row, since, whatsapp }) => ({
          customer_id: row.customerId,
          purpose: row.purpose,
          id: row.id,
          since: new Date(since).toISOString(),
          whatsapp,
        })),
      ),
    ],
  );
  const answers = new Array<PolicyInputs>(asked.length);
  for (const r of rows) answers[Number(r.ord) - 1] = policyInputsOf(r.inputs);
  return answers;
}
