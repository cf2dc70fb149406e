/**
 * Closeout's main job: brings up the devstack, the simulated cores (test doubles of the bank's REST, SOAP and SFTP
 * systems of record, with faults injected), the simulated SMS and WhatsApp providers, the simulated card processor
 * and the nine services, then drives a realistic sample to the end: upstream triggers across the five seed
 * workflows, each with the customer's contact points, time zone, consents and known facts; messaging reaches the
 * customers by email (the devstack's SMTP sink), SMS and WhatsApp (the simulated providers); simulated customers read
 * their message there, open its link and go through the mini-app's real pages and forms — one-time code from their
 * own mailbox or phone, date of birth and postcode where asked, then their action (a test card on the processor's
 * hosted page, a PDF, a plan, an address), or decline, or stop messages; some get a field wrong first, some tap
 * twice, some mistype the code five times, some never answer, a few reply STOP; a few cannot be reached (no consent,
 * or night where they live); redelivered upstream events, and writeback-rest killed and restarted midway. It prints
 * progress while it runs and a final report, and leaves the services running.
 *
 *   npm start                                        # 1,000 triggers
 *   npm start -- --cases 200                         # a shorter run
 *   npm start -- --cases 200 --customers-in-flight 8 # fewer customers on the mini-app at once (default 12)
 *
 * The parts, in the order they run: platform.ts (devstack, cores, providers, card processor, services), case-watch.ts
 * (what is seen on Kafka; the customers set off), inbox.ts (where customers read their messages and codes),
 * customer-journey.ts and customer-browser.ts (the customer on the mini-app's pages), drive.ts (the triggers),
 * outcome.ts and messaging-figures.ts (settling, evidence, figures), audit-trail.ts (the run's audit store, verified,
 * and what the SIEMs received), report.ts.
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
import { gatherMessagingEvidence } from './messaging-figures';
import { auditSucceeded, percentile, printAuditTrail, printLookAround, printReport } from './report';
import { settleAuditTrail } from './audit-trail';
import { caseTrace, checkScrapeTargets, consoleUrl, DEMO_OPERATOR } from './operations';
import { zonesAt } from './time-zones';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '7' },
    'customers-in-flight': { type: 'string', default: '12' },
  },
});
const CASES = Number(args.cases);
if (!Number.isInteger(CASES) || CASES < 5) {
  console.error('--cases: must be an integer ≥ 5');
  process.exit(2);
}
const IN_FLIGHT = Number(args['customers-in-flight']);
if (!Number.isInteger(IN_FLIGHT) || IN_FLIGHT < 1 || IN_FLIGHT > 64) {
  console.error('--customers-in-flight: must be an integer from 1 to 64');
  process.exit(2);
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn', service: 'main-job' });
  const run = randomUUID().slice(0, 8);
  const platform = await bringUpPlatform(run);
  await printReadiness();
  // Prometheus scrapes every service from the moment they are up (the devstack's scrape config lists them).
  const targetsAtStart = await checkScrapeTargets(platform.env);
  const watch = await CaseWatch.start(platform.env, IN_FLIGHT);
  const progress = reportProgress(watch, CASES);

  const runStarted = Date.now();
  say(`driving ${CASES} upstream triggers across the five seed workflows (run ${run}); ~3% are redelivered`);
  const random = seededRandom(Number(args.seed));
  // Customers' time zones follow the clock: most where it is day now, a few where it is night (quiet hours).
  const zones = zonesAt(runStarted);
  say(
    `customers live where it is day now (${zones.daytime.slice(0, 4).join(', ')}…)` +
      (zones.night.length > 0
        ? `, a few where it is night (${zones.night.slice(0, 3).join(', ')}…): their messages wait for 08:00 there`
        : ''),
  );
  const driven = await driveTriggers({ cases: CASES, run, random, zones, watch, platform });
  say(
    `all ${watch.plans.size} triggers accepted (${driven.redelivered} redelivered, ${driven.redeliveryDeduplicated} deduplicated, ${driven.refused} refused)`,
  );
  await waitUntilSettled(watch);
  progress.stop();

  const evidence = await gatherEvidence(runStarted);
  const messagingEvidence = await gatherMessagingEvidence(watch, runStarted);
  await watch.close();
  const figures = figuresOf(watch, driven, evidence, messagingEvidence, runStarted, platform.cardProcessor);
  // The processor runs in this process: it stops with the job.
  await platform.cardProcessor.close();
  say(
    `audit trail: waiting until the store holds the ${watch.auditEventIds.size} audit events the services published and both SIEMs have them`,
  );
  const completedCase = [...watch.plans.keys()].find((id) => watch.lastState(id) === 'COMPLETED');
  const audit = await settleAuditTrail(
    platform.audit,
    platform.env,
    watch.auditEventIds,
    completedCase,
  ).catch((err: unknown) => new Error(err instanceof Error ? err.message : String(err)));
  // The simulated HEC runs in this process too: it stops with the job (the audit-exporter retries until the next run).
  await platform.audit.hec.close();
  const trace = completedCase ? await caseTrace(platform.env['ZIPKIN_URL']!, completedCase) : undefined;
  const targetsAtEnd = await checkScrapeTargets(platform.env);
  printReport(figures, percentile);
  printAuditTrail(audit);
  const scraped = [...targetsAtStart, ...targetsAtEnd].every((t) => t.health === 'up');
  console.log(
    `\nOperations: Prometheus scraped ${scraped ? 'every service at the start and at the end of the run' : 'NOT every service (see above)'}` +
      (trace
        ? `; one completed case's trace (${completedCase}): ${trace.spans} spans from ${trace.services.join(', ')}`
        : `; no trace of a completed case was found in Zipkin`),
  );
  printLookAround({
    console: `${consoleUrl} (sign in as ${DEMO_OPERATOR} / ${platform.console.demoPassword})`,
    trace: trace?.url,
    prometheus: platform.env['PROMETHEUS_URL']!,
    alertmanager: platform.env['ALERTMANAGER_URL']!,
  });
  if (!succeeded(watch, figures, CASES) || !auditSucceeded(audit) || !scraped || !trace) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
