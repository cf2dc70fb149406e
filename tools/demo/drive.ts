/**
 * Driving the main job's sample: upstream triggers across the five seed workflows, 16 at a time, each case with its
 * simulated customer's plan and contact block; about 3 % are sent again (an upstream redelivery), and writeback-rest
 * is killed with SIGKILL and restarted once half the triggers are out. A customer who will reply STOP has the
 * simulated SMS provider told so (a `customer_reply` for their number) before their trigger goes out.
 */
import { say } from './clock';
import type { CaseWatch } from './case-watch';
import { INGEST_TOKEN, ingestUrl, killAndRestartLater, smsProviderUrl, type Platform } from './platform';
import { customerPlan, SCENARIOS } from './scenarios';
import type { ZoneChoice } from './time-zones';

const IN_FLIGHT = 16;

export interface Driven {
  /** The body of every accepted trigger and the case it opened. */
  sent: { body: Record<string, unknown>; caseId: string }[];
  redelivered: number;
  redeliveryDeduplicated: number;
  refused: number;
}

export async function driveTriggers(o: {
  cases: number;
  run: string;
  random: () => number;
  zones: ZoneChoice;
  watch: CaseWatch;
  platform: Platform;
}): Promise<Driven> {
  const driven: Driven = { sent: [], redelivered: 0, redeliveryDeduplicated: 0, refused: 0 };
  let killed = false;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= o.cases) return;
      const scenario = SCENARIOS[i % SCENARIOS.length]!;
      const plan = customerPlan(scenario, i, o.run, o.zones, o.random);
      const body = scenario.upstream(o.run, i, o.random, plan.contact);
      if (plan.kind === 'reply-stop') await replyStopAfterDelivery(plan.contact.phone!);
      const res = await postTrigger(body);
      if (res.status !== 202 || !res.caseId) {
        driven.refused += 1;
        continue;
      }
      o.watch.opened(res.caseId, plan);
      driven.sent.push({ body, caseId: res.caseId });
      if (o.random() < 0.03) {
        driven.redelivered += 1;
        const again = await postTrigger(body);
        if (again.status === 200) driven.redeliveryDeduplicated += 1;
      }
      if (!killed && i >= o.cases / 2) {
        killed = true;
        say(
          'killing writeback-rest with SIGKILL mid-run (no drain, leases left behind); restarting it in 3 s',
        );
        await killAndRestartLater(o.platform, 'writeback-rest');
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return driven;
}

/** The customer answers their first SMS with STOP, once it is delivered (the simulator's `customer_reply`). */
async function replyStopAfterDelivery(phone: string): Promise<void> {
  const res = await fetch(`${smsProviderUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'customer_reply', body: 'STOP', count: 1, match: { to: phone } }),
  });
  if (res.status !== 201) throw new Error(`POST ${smsProviderUrl}/_sim/faults: HTTP ${res.status}`);
}

async function postTrigger(body: unknown): Promise<{ status: number; caseId?: string }> {
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { caseId?: string };
  return { status: res.status, ...(json.caseId ? { caseId: json.caseId } : {}) };
}
