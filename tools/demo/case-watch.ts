/**
 * What the main job sees of its cases on Kafka, and its simulated customers: the messaging service reaches them
 * (email through the SMTP sink, SMS and WhatsApp through the simulated providers) and reports each message on
 * outreach.event; once a message of the attempt a customer's plan answers has been SENT or DELIVERED, the customer
 * finds it where they read their messages (the sink's mailbox, the SMS provider's record of the message, the WhatsApp
 * journal), takes its mini-app link and goes through the mini-app's real pages (customer-journey.ts), a bounded
 * number of customers at a time. What the mini-app publishes for them (miniapp.action), case states, outreach
 * requests and events, messaging's quiet-hours deferrals (its audit events), writeback requests and results, and
 * duplicate customer actions (from the audit trail) are recorded for the report.
 */
import { randomUUID } from 'node:crypto';
import Bottleneck from 'bottleneck';
import {
  Topics,
  type CaseState,
  type MiniappAction,
  type OutreachEvent,
  type WritebackResult,
} from '@closeout/contracts';
import { services } from '@closeout/deploy';
import { KafkaClient, kafkaConnectionFromEnv } from '@closeout/kafka';
import { sleep } from './clock';
import { walkJourney, type JourneyRecord } from './customer-journey';
import { findDeliveredMessage, handsets, SinkMailboxes } from './inbox';
import type { Channel, CustomerPlan } from './scenarios';

/** The job's own services: an outreach audited by any other service is a test's instance on the same topics. */
const OUR_SERVICES = new Set<string>(services.map((s) => s.name));

/** States a case does not leave on its own. */
export const TERMINAL_STATES = new Set(['COMPLETED', 'EXCEPTION', 'EXPIRED', 'CLOSED']);

/** The outreach attempt an outreach id names (`out_<caseId>_<attempt>`, as the orchestrator mints them). */
export const attemptOf = (outreachId: string): number => Number(/_(\d+)$/.exec(outreachId)?.[1] ?? '0');

/** A message messaging deferred by quiet hours: the outreach and when it is decided again. */
export interface Deferral {
  outreachId: string;
  channel: string;
  until: number;
}

export class CaseWatch {
  /** The run's cases (opened by its triggers) and how each customer behaves. */
  readonly plans = new Map<string, CustomerPlan>();
  readonly triggeredAt = new Map<string, number>();
  readonly actedAt = new Map<string, number>();
  readonly states = new Map<string, CaseState[]>();
  /** outreach.requested per case: outreach id and the channel the orchestrator asked for. */
  readonly requested = new Map<string, { outreachId: string; channel: Channel }[]>();
  /** outreach.event per case, as messaging reported them. */
  readonly outreachEvents = new Map<string, OutreachEvent[]>();
  /** messaging's quiet-hours deferrals per case (its `outreach.deferred` audit events). */
  readonly deferred = new Map<string, Deferral[]>();
  /** The message each acting customer found, with its link, before acting. */
  readonly reached = new Map<string, { outreachId: string; channel: string }>();
  /** Each customer's journey through the mini-app: how far they got and how it ended. */
  readonly journeys = new Map<string, JourneyRecord>();
  /** What the mini-app published for the run's cases (miniapp.action), per case. */
  readonly miniappActions = new Map<string, MiniappAction[]>();
  /**
   * Sends reported SENT/DELIVERED whose message the customer could not find with a link (providerRefs): another
   * messaging instance on the same topics (a test beside the job) reports sends to its own providers.
   */
  readonly notFound: string[] = [];
  /** Services other than the job's messaging that audited outreach of the run's cases (tests beside the job). */
  readonly otherMessagingServices = new Set<string>();
  /** writeback.result messages per idempotency key. */
  readonly results = new Map<string, WritebackResult[]>();
  /** When the last writeback of a case was applied (not as a duplicate). */
  readonly appliedAt = new Map<string, number>();
  /** The run's writebacks: idempotency key → case and destination. */
  readonly ourKeys = new Map<string, { caseId: string; destination: string }>();
  actionDuplicates = 0;
  /** Ids of the audit events the job's services published while the job watched (what the audit store must hold). */
  readonly auditEventIds = new Set<string>();
  /** Cases whose customer is looking for a message now, and the providerRefs each has looked for. */
  private readonly reaching = new Set<string>();
  private readonly tried = new Map<string, Set<string>>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Customers on the mini-app at once (the machine has 2 cores, shared with the services). */
  private readonly customers: Bottleneck;

  /** The SMTP sink's mail since the job started: the customers' mailboxes. */
  readonly mailboxes: SinkMailboxes;

  private constructor(
    private readonly kafka: KafkaClient,
    env: Record<string, string>,
    customersInFlight: number,
  ) {
    this.mailboxes = new SinkMailboxes(env['SMTP_SINK_DATA_DIR']!, Date.now() - 1_000);
    this.customers = new Bottleneck({ maxConcurrent: customersInFlight });
  }

  /** Connects to Kafka and subscribes from the topics' current end. */
  static async start(env: Record<string, string>, customersInFlight: number): Promise<CaseWatch> {
    const kafka = new KafkaClient({
      clientId: `main-job-${randomUUID().slice(0, 8)}`,
      ...kafkaConnectionFromEnv(env),
      schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    });
    await kafka.start();
    await handsets.mark();
    const watch = new CaseWatch(kafka, env, customersInFlight);
    await watch.subscribe(`main-job.${randomUUID()}`);
    return watch;
  }

  lastState(caseId: string): string | undefined {
    return this.states.get(caseId)?.at(-1)?.state;
  }

  /**
   * A case the run's trigger opened: its customer's plan. Messages can be reported before the trigger POST that
   * opened the case has returned here (a loaded machine answers the HTTP call after messaging already sent): those
   * are looked at now.
   */
  opened(caseId: string, plan: CustomerPlan): void {
    this.plans.set(caseId, plan);
    this.triggeredAt.set(caseId, Date.now());
    for (const e of this.outreachEvents.get(caseId) ?? []) this.consider(e);
  }

  /** Whether messaging deferred a message of the case by quiet hours and has sent none of it since. */
  parkedByQuietHours(caseId: string): boolean {
    if (!this.deferred.has(caseId)) return false;
    return !(this.outreachEvents.get(caseId) ?? []).some(
      (e) => e.status === 'SENT' || e.status === 'DELIVERED',
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.kafka.close();
  }

  private async subscribe(group: string): Promise<void> {
    const append = <T>(map: Map<string, T[]>, key: string, value: T) =>
      void map.set(key, [...(map.get(key) ?? []), value]);
    const subs = await Promise.all([
      this.kafka.subscriber.subscribe({
        groupId: `${group}.outreach`,
        topic: Topics.outreachRequested,
        handler: async ({ value }) =>
          append(this.requested, value.caseId, { outreachId: value.outreachId, channel: value.channel }),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.outreach-events`,
        topic: Topics.outreachEvent,
        handler: async ({ value }) => {
          append(this.outreachEvents, value.caseId, value);
          this.consider(value);
        },
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.miniapp-actions`,
        topic: Topics.miniappAction,
        handler: async ({ value }) => {
          if (this.plans.has(value.caseId)) append(this.miniappActions, value.caseId, value);
        },
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.states`,
        topic: Topics.caseState,
        handler: async ({ value }) => append(this.states, value.caseId, value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.requests`,
        topic: Topics.writebackRequested,
        handler: async ({ value }) => {
          if (this.plans.has(value.caseId))
            this.ourKeys.set(value.idempotencyKey, { caseId: value.caseId, destination: value.destination });
        },
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.results`,
        topic: Topics.writebackResult,
        handler: async ({ value }) => {
          if (!this.plans.has(value.caseId)) return;
          append(this.results, value.idempotencyKey, value);
          if (value.status === 'APPLIED' && !value.duplicate) this.appliedAt.set(value.caseId, Date.now());
        },
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.audit`,
        topic: Topics.auditEvent,
        handler: async ({ value }) => {
          if (OUR_SERVICES.has(value.service)) this.auditEventIds.add(value.eventId);
          if (value.action === 'action.duplicate' && this.plans.has(value.correlationId))
            this.actionDuplicates += 1;
          if (
            value.action.startsWith('outreach.') &&
            value.caseId &&
            this.plans.has(value.caseId) &&
            !OUR_SERVICES.has(value.service)
          )
            this.otherMessagingServices.add(value.service);
          // messaging's quiet-hours deferral: "…; decided again at <ISO instant>".
          if (value.action === 'outreach.deferred' && value.caseId) {
            const until = Date.parse(/decided again at (\S+)$/.exec(value.reason)?.[1] ?? '');
            append(this.deferred, value.caseId, {
              outreachId: value.references['outreachId'] ?? '',
              channel: value.references['channel'] ?? '',
              until,
            });
          }
        },
      }),
    ]);
    await Promise.all(subs.map((s) => s.whenPositioned()));
  }

  /**
   * A message of the attempt the customer answers was reported sent: they look for it, then act (once a case). A
   * report whose message is not where the customer reads does not count; a later report is looked at then.
   */
  private consider(e: OutreachEvent): void {
    const plan = this.plans.get(e.caseId);
    if (!plan || (e.status !== 'SENT' && e.status !== 'DELIVERED')) return;
    if (attemptOf(e.outreachId) !== plan.actOnAttempt) return;
    if (this.reached.has(e.caseId) || this.reaching.has(e.caseId)) return;
    this.reaching.add(e.caseId);
    const work = this.reach(e.caseId, plan).finally(() => {
      this.reaching.delete(e.caseId);
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
  }

  /** The link of the case's most recent message the customer can find, other than the one they opened. */
  private async newestMessage(
    caseId: string,
    plan: CustomerPlan,
    opened: string | null | undefined,
  ): Promise<string | undefined> {
    // Newest first, each message once: SENT and DELIVERED report the same one, and a look that finds nothing polls ~3 s.
    const looked = new Set([opened]);
    const sent = (this.outreachEvents.get(caseId) ?? []).filter(
      (x) => x.status === 'SENT' || x.status === 'DELIVERED',
    );
    for (const event of sent.reverse()) {
      if (looked.has(event.providerRef)) continue;
      looked.add(event.providerRef);
      const link = await findDeliveredMessage(this.mailboxes, event, plan.contact);
      if (link !== undefined) return link;
    }
    return undefined;
  }

  /** Looks for each reported send of the attempt not looked for yet, until one is found. */
  private async reach(caseId: string, plan: CustomerPlan): Promise<void> {
    const tried = this.tried.get(caseId) ?? new Set<string>();
    this.tried.set(caseId, tried);
    let found: { event: OutreachEvent; url: string } | undefined;
    for (;;) {
      const next = (this.outreachEvents.get(caseId) ?? []).find(
        (x) =>
          (x.status === 'SENT' || x.status === 'DELIVERED') &&
          attemptOf(x.outreachId) === plan.actOnAttempt &&
          !tried.has(x.providerRef ?? ''),
      );
      if (!next) return;
      tried.add(next.providerRef ?? '');
      const link = await findDeliveredMessage(this.mailboxes, next, plan.contact);
      if (link) {
        found = { event: next, url: link };
        break;
      }
      this.notFound.push(next.providerRef ?? '');
    }
    if (!found) return;
    const e = found.event;
    const url = found.url;
    this.reached.set(e.caseId, { outreachId: e.outreachId, channel: e.channel });
    // A customer who never answers, or who replied STOP, does not open the link.
    if (plan.kind === 'ignore' || plan.kind === 'reply-stop') return;
    await sleep(plan.readsAfterMs);
    let journey = await this.customers.schedule(() =>
      walkJourney({ link: url, caseId: e.caseId, plan, mailboxes: this.mailboxes }),
    );
    // "This link no longer works … Use the link in our most recent message": by the time they opened it, a reminder
    // had superseded it. They do as the page says, once.
    if (journey.outcome === 'link-refused' && journey.stoppedAt?.includes('no longer works')) {
      const newest = await this.newestMessage(e.caseId, plan, e.providerRef);
      if (newest !== undefined) {
        const first = journey;
        const again = await this.customers.schedule(() =>
          walkJourney({ link: newest, caseId: e.caseId, plan, mailboxes: this.mailboxes }),
        );
        journey = {
          ...again,
          olderLinkFirst: true,
          requests: first.requests + again.requests,
          startedAt: first.startedAt,
        };
      }
    }
    this.journeys.set(e.caseId, journey);
    if (journey.outcome === 'acted' || journey.outcome === 'declined')
      this.actedAt.set(e.caseId, journey.finishedAt ?? Date.now());
  }
}
