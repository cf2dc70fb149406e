/**
 * The customers and requests of one messaging harness run: every customer has an e-mail address (on the run's own
 * domain, so SMTP sink faults can be scoped to it), a phone number and a time zone; most zones are inside the send
 * window now, some are in quiet hours (their requests must be deferred, never sent during the run). Each request is
 * delivered twice or more: the same event again (a Kafka redelivery) and under another event id (an upstream retry).
 */
import type { Channel } from '@closeout/messaging-domain';

export const PURPOSE = 'servicing-collections';
export const TEMPLATE = 'failed-payment-recovery.v1';
export const WINDOW = { start: 8 * 60, end: 21 * 60 };

export interface Customer {
  index: number;
  customerId: string;
  email: string;
  phone: string;
  timeZone: string;
  /** Whether the zone's local time was in quiet hours when the run started. */
  quiet: boolean;
  /** false: the contact statement grants nothing (requests are suppressed for want of consent). */
  consented: boolean;
}

export interface Request {
  outreachId: string;
  caseId: string;
  customer: Customer;
  channel: Channel;
  /** Published in the second wave, after the first has settled (a second outreach to a customer who may have opted out). */
  followUp: boolean;
}

export interface Delivery {
  request: Request;
  eventId: string;
}

/** The local minute of the day in `zone` at `at`. */
export function localMinute(at: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return value('hour') * 60 + value('minute');
}

export function insideWindow(at: number, zone: string): boolean {
  const minute = localMinute(at, zone);
  return minute >= WINDOW.start && minute < WINDOW.end;
}

const NAMED_ZONES = [
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
];

/**
 * Zones whose local time is now well inside the window (09:00–18:59: a run of an hour never leaves it) and zones in
 * deep quiet hours (00:00–04:59: the window opens hours after the run), from fixed offsets and named zones.
 */
export function zonesNow(now: number): { open: string[]; quiet: string[] } {
  const fixed = Array.from({ length: 27 }, (_, i) => i - 12).map((offset) =>
    offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`,
  );
  const open: string[] = [];
  const quiet: string[] = [];
  for (const zone of [...fixed, ...NAMED_ZONES]) {
    const minute = localMinute(now, zone);
    if (minute >= 9 * 60 && minute < 19 * 60) open.push(zone);
    else if (minute < 5 * 60) quiet.push(zone);
  }
  return { open, quiet };
}

export interface Population {
  customers: Customer[];
  requests: Request[];
  /** First wave, in publishing order (originals, redeliveries and re-requests interleaved). */
  firstWave: Delivery[];
  secondWave: Delivery[];
  /** Customers whose SMS is answered by STOP from the provider (a scripted reply after delivery). */
  replyStop: Customer[];
  /** Customers who send STOP on their own while the run goes on (the harness posts it through the simulator). */
  sendStop: Customer[];
  /** Customers who send STOP on WhatsApp. */
  sendWhatsAppStop: Customer[];
  /** Numbers the SMS provider never delivers to. */
  undeliverable: Customer[];
}

export function buildPopulation(options: {
  n: number;
  run: string;
  random: () => number;
  now: number;
  emailDomain: string;
}): Population {
  const { n, run, random } = options;
  const { open, quiet } = zonesNow(options.now);
  if (open.length === 0 || quiet.length === 0) throw new Error('no open or no quiet time zone found now');
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const digits = String(parseInt(run, 16) % 100).padStart(2, '0');
  const customers: Customer[] = Array.from({ length: n }, (_, i) => {
    const isQuiet = random() < 0.12;
    return {
      index: i,
      customerId: `cust-${run}-${i}`,
      email: `c${i}@${options.emailDomain}`,
      // UK mobile numbers in +4478 (every +4478dd dddddd is a valid mobile number; other 07 ranges hold personal
      // numbers, pagers and unallocated blocks, which the policy rightly refuses, sending by e-mail instead).
      phone: `+4478${digits}${String(i).padStart(6, '0')}`,
      timeZone: isQuiet ? pick(quiet) : pick(open),
      quiet: isQuiet,
      consented: random() >= 0.03,
    };
  });
  const awake = customers.filter((c) => !c.quiet && c.consented);
  const share = (p: number): Customer[] => awake.filter(() => random() < p);
  const replyStop = share(0.05);
  const taken = new Set(replyStop);
  const sendStop = share(0.02).filter((c) => !taken.has(c));
  sendStop.forEach((c) => taken.add(c));
  const sendWhatsAppStop = share(0.01).filter((c) => !taken.has(c));
  sendWhatsAppStop.forEach((c) => taken.add(c));
  const undeliverable = share(0.02).filter((c) => !taken.has(c));

  // N requests: one per customer, except that the last ones go to customers who will opt out (a second outreach
  // for the same purpose, published once the first wave has settled) — those customers' own slots stay empty.
  const stoppers = [...replyStop, ...sendStop, ...sendWhatsAppStop];
  const followUps = Math.min(stoppers.length, Math.floor(n * 0.04));
  const channelOf = (): Channel => {
    const r = random();
    return r < 0.45 ? 'EMAIL' : r < 0.9 ? 'SMS' : 'WHATSAPP';
  };
  const requests: Request[] = customers.map((customer, i) => {
    const followUp = i >= n - followUps;
    return {
      outreachId: `out-${run}-${i}`,
      caseId: `case-${run}-${i}`,
      customer: followUp ? stoppers[i - (n - followUps)]! : customer,
      // A customer's first outreach on SMS: a STOP scripted by the SMS provider follows a delivered SMS.
      channel: replyStop.includes(customer) && !followUp ? 'SMS' : channelOf(),
      followUp,
    };
  });
  const wave = (list: Request[]): Delivery[] => {
    const deliveries: Delivery[] = [];
    const later: Delivery[] = [];
    for (const request of list) {
      const original = `orq-${request.outreachId}`;
      deliveries.push({ request, eventId: original });
      // Twice or more: the same event again, and sometimes the request again under another event id.
      later.push({ request, eventId: original });
      if (random() < 0.3) later.push({ request, eventId: `${original}-again` });
      if (random() < 0.05) later.push({ request, eventId: `${original}-third` });
      while (later.length > 0 && random() < 0.3) deliveries.push(later.shift()!);
    }
    return [...deliveries, ...later];
  };
  return {
    customers,
    requests,
    firstWave: wave(requests.filter((r) => !r.followUp)),
    secondWave: wave(requests.filter((r) => r.followUp)),
    replyStop,
    sendStop,
    sendWhatsAppStop,
    undeliverable,
  };
}
