/**
 * Driving the main job's sample: upstream triggers across the five seed workflows, 16 at a time, each case with its
 * simulated customer's plan; about 3 % are sent again (an upstream redelivery), and writeback-rest is killed with
 * SIGKILL and restarted once half the triggers are out.
 */
import { say } from './clock';
import type { CaseWatch } from './case-watch';
import { INGEST_TOKEN, ingestUrl, killAndRestartLater, type Platform } from './platform';
import { customerPlan, SCENARIOS } from './scenarios';

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
      const plan = customerPlan(scenario, o.random);
      const body = scenario.upstream(o.run, i, o.random);
      const res = await postTrigger(body);
      if (res.status !== 202 || !res.caseId) {
        driven.refused += 1;
        continue;
      }
      await o.watch.opened(res.caseId, plan);
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

async function postTrigger(body: unknown): Promise<{ status: number; caseId?: string }> {
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { caseId?: string };
  return { status: res.status, ...(json.caseId ? { caseId: json.caseId } : {}) };
}
