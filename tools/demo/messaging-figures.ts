/**
 * The report's messaging figures: what messaging said it did with the run's outreach (outreach.event, its audit
 * events), checked against what the outside world recorded — the SMTP sink's mailboxes and the simulated providers'
 * journals — each mail and SMS counted once, duplicates counted apart.
 */
import type { SmsJournalEntry } from '@closeout/simulators/sms-provider';
import type { WhatsAppJournalEntry } from '@closeout/simulators/whatsapp-provider';
import type { CaseWatch } from './case-watch';
import { messageIdOfMail, messageIdOfSms, smsJournal, whatsappJournal, type StoredMail } from './inbox';

/** What the sink and the providers hold for the run's customers. */
export interface MessagingEvidence {
  mail: StoredMail[];
  sms: SmsJournalEntry[];
  whatsapp: WhatsAppJournalEntry[];
}

export interface MessagingFigures {
  /** outreach.requested of the run's cases, by the channel the orchestrator asked for. */
  requested: Record<string, number>;
  /** Per channel: outreaches messaging reported SENT or DELIVERED, and the distinct messages the sink/journal hold. */
  sent: Record<string, { events: number; journal: number }>;
  delivered: number;
  failed: Record<string, number>;
  /** Customers whose messages were deferred by quiet hours and not sent during the run, and when they are due. */
  deferred: {
    customers: number;
    firstDue: number | undefined;
    lastDue: number | undefined;
    sentLater: number;
  };
  /** Outreaches suppressed, by reason code. */
  suppressed: Record<string, number>;
  optOuts: { planned: number; events: number; exceptions: number; confirmations: number };
  /** Customers who found the message with its link before acting, and SENT messages nobody could find. */
  reached: number;
  notFound: number;
  /** Other messaging instances (tests beside the job) that answered the run's outreach requests too. */
  otherInstances: string[];
  /** The same message (same send, or the same text to the same recipient) recorded more than once. */
  duplicates: { EMAIL: number; SMS: number; WHATSAPP: number };
}

/**
 * Reads the sink's mailbox of every customer of the run with an e-mail address (addresses are the run's own), and
 * both providers' journals since the run began to the run's phone numbers (numbers recur from run to run).
 */
export async function gatherMessagingEvidence(
  watch: CaseWatch,
  runStarted: number,
): Promise<MessagingEvidence> {
  const emails = new Set(
    [...watch.plans.values()].flatMap((p) => (p.contact.email ? [p.contact.email.toLowerCase()] : [])),
  );
  await watch.mailboxes.refresh();
  const mail = watch.mailboxes.ours().filter((m) => m.to.some((a) => emails.has(a)));
  const phones = new Set(
    [...watch.plans.values()].flatMap((p) => (p.contact.phone ? [p.contact.phone] : [])),
  );
  return {
    mail,
    sms: (await smsJournal()).filter((e) => phones.has(e.to) && Date.parse(e.acceptedAt) >= runStarted),
    whatsapp: (await whatsappJournal()).filter(
      (e) => phones.has(`+${e.waId}`) && Date.parse(e.acceptedAt) >= runStarted,
    ),
  };
}

/** messaging's `messageIdOf`: the outreach id made header-safe, then the attempt. */
const sendPrefix = (caseId: string): string => `out_${caseId}_`.replace(/[^A-Za-z0-9_-]/g, '-');

export function messagingFiguresOf(
  watch: CaseWatch,
  evidence: MessagingEvidence,
  exceptionKinds: Map<string, string>,
): MessagingFigures {
  const cases = [...watch.plans.keys()];
  const events = cases.flatMap((id) => watch.outreachEvents.get(id) ?? []);
  const distinct = (items: string[]) => new Set(items).size;

  const requested: Record<string, number> = {};
  for (const id of cases) for (const r of watch.requested.get(id) ?? []) count(requested, r.channel);

  // The run's sends as messaging names them (messageId): those whose prefix is one of the run's cases.
  const prefixes = cases.map(sendPrefix);
  const ours = (messageId: string | undefined): messageId is string =>
    messageId !== undefined && prefixes.some((p) => messageId.startsWith(p));
  const mailIds = evidence.mail.map((m) => messageIdOfMail(m.messageId)).filter(ours);
  const smsIds = evidence.sms.map(messageIdOfSms).filter(ours);
  const waIds = evidence.whatsapp.map((w) => w.bizOpaqueCallbackData ?? undefined).filter(ours);

  const sent: MessagingFigures['sent'] = {};
  for (const channel of ['EMAIL', 'SMS', 'WHATSAPP'] as const) {
    sent[channel] = {
      events: distinct(
        events
          .filter((e) => e.channel === channel && (e.status === 'SENT' || e.status === 'DELIVERED'))
          .map((e) => e.outreachId),
      ),
      journal: distinct(channel === 'EMAIL' ? mailIds : channel === 'SMS' ? smsIds : waIds),
    };
  }

  const failed: Record<string, number> = {};
  for (const e of events.filter((x) => x.status === 'FAILED')) count(failed, e.reason ?? 'unknown');
  const suppressed: Record<string, number> = {};
  const suppressedOutreaches = new Map<string, string>();
  for (const e of events.filter((x) => x.status === 'SUPPRESSED'))
    suppressedOutreaches.set(e.outreachId, e.reason ?? 'unknown');
  for (const reason of suppressedOutreaches.values()) count(suppressed, reason);

  const deferredCases = cases.filter((id) => watch.deferred.has(id));
  const parked = deferredCases.filter((id) => watch.parkedByQuietHours(id));
  const due = parked
    .flatMap((id) => (watch.deferred.get(id) ?? []).map((d) => d.until))
    .filter(Number.isFinite);

  const phones = new Set(cases.flatMap((id) => watch.plans.get(id)!.contact.phone ?? []));
  return {
    requested,
    sent,
    delivered: distinct(events.filter((e) => e.status === 'DELIVERED').map((e) => e.outreachId)),
    failed,
    deferred: {
      customers: parked.length,
      firstDue: due.length > 0 ? Math.min(...due) : undefined,
      lastDue: due.length > 0 ? Math.max(...due) : undefined,
      sentLater: deferredCases.length - parked.length,
    },
    suppressed,
    optOuts: {
      planned: cases.filter((id) => watch.plans.get(id)!.kind === 'reply-stop').length,
      events: distinct(events.filter((e) => e.status === 'OPTED_OUT').map((e) => e.caseId)),
      exceptions: cases.filter((id) => exceptionKinds.get(id) === 'OPTED_OUT').length,
      // messaging confirms each opt-out once, on the channel it came in on (messageId `opt-out-<reply sid>`).
      confirmations: evidence.sms.filter(
        (e) => phones.has(e.to) && (messageIdOfSms(e) ?? '').startsWith('opt-out-'),
      ).length,
    },
    reached: watch.reached.size,
    notFound: watch.notFound.length,
    otherInstances: [...watch.otherMessagingServices].sort(),
    // A send recorded twice (same messageId), or the same text to the same recipient twice (what the providers'
    // own duplicate counts look at: their APIs have no idempotency key).
    duplicates: {
      EMAIL: duplicates(mailIds),
      SMS: Math.max(duplicates(smsIds), duplicates(evidence.sms.map((e) => `${e.to}#${e.body}`))),
      WHATSAPP: Math.max(duplicates(waIds), duplicates(evidence.whatsapp.map((e) => `${e.waId}#${e.text}`))),
    },
  };
}

/** How many entries repeat one before them. */
function duplicates(keys: string[]): number {
  return keys.length - new Set(keys).size;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}
