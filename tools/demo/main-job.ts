/**
 * Closeout's main job: brings up the devstack, the simulated cores (test doubles of the bank's REST, SOAP and SFTP
 * systems of record, with faults injected) and the nine services, then drives a realistic sample to the end:
 * upstream triggers across the five seed workflows, simulated customers acting on most of them (some decline, some
 * get a parameter wrong first, some tap twice, some never answer), redelivered upstream events, and writeback-rest
 * killed and restarted midway. It prints progress while it runs and a final report, and leaves everything running.
 *
 *   npm start                 # 1,000 triggers
 *   npm start -- --cases 200  # a shorter run
 *
 * The messaging and mini-app services do not yet reach real customers: the job stands in for them, answering each
 * outreach.requested with a delivery receipt (outreach.event) and the customer's choice (miniapp.action).
 *
 * The parts, in the order they run: platform.ts (devstack, cores, services), case-watch.ts (what is seen on Kafka,
 * the customers' stand-in), drive.ts (the triggers), outcome.ts (settling, evidence, figures), report.ts.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { seededRandom } from '@closeout/simulators/shared';
import { configureLogging } from '@closeout/telemetry';
import { CaseWatch } from './case-watch';
import { say } from './clock';
import { driveTriggers } from './drive';
import { figuresOf, gatherEvidence, reportProgress, succeeded, waitUntilSettled } from './outcome';
import { bringUpPlatform, printReadiness } from './platform';
import { percentile, printLookAround, printReport } from './report';

const { values: args } = parseArgs({
  options: { cases: { type: 'string', default: '1000' }, seed: { type: 'string', default: '7' } },
});
const CASES = Number(args.cases);
if (!Number.isInteger(CASES) || CASES < 5) {
  console.error('--cases: must be an integer ≥ 5');
  process.exit(2);
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn', service: 'main-job' });
  const platform = await bringUpPlatform();
  await printReadiness();
  const watch = await CaseWatch.start(platform.env);
  const progress = reportProgress(watch, CASES);

  const run = randomUUID().slice(0, 8);
  const runStarted = Date.now();
  say(`driving ${CASES} upstream triggers across the five seed workflows (run ${run}); ~3% are redelivered`);
  const random = seededRandom(Number(args.seed));
  const driven = await driveTriggers({ cases: CASES, run, random, watch, platform });
  say(
    `all ${watch.plans.size} triggers accepted (${driven.redelivered} redelivered, ${driven.redeliveryDeduplicated} deduplicated, ${driven.refused} refused)`,
  );
  await waitUntilSettled(watch);
  progress.stop();

  const evidence = await gatherEvidence(runStarted);
  await watch.close();
  const figures = figuresOf(watch, driven, evidence, runStarted);
  printReport(figures, percentile);
  printLookAround();
  if (!succeeded(watch, figures, CASES)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
