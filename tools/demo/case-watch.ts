/**
 * What the main job sees of its cases on Kafka, and the stand-in for the messaging service and the mini-app: every
 * outreach.requested of one of the run's cases is answered with a delivery receipt (outreach.event) and the simulated
 * customer's choice (miniapp.action), as the case's plan says. Case states, writeback requests and results, and
 * duplicate customer actions (from the audit trail) are recorded for the report.
 */
import { randomUUID } from 'node:crypto';
import {
  Topics,
  type CaseState,
  type MiniappAction,
  type OutreachRequested,
  type WritebackResult,
} from '@closeout/contracts';
import { KafkaClient, kafkaConnectionFromEnv } from '@closeout/kafka';
import type { CustomerPlan } from './scenarios';

/** States a case does not leave on its own. */
export const TERMINAL_STATES = new Set(['COMPLETED', 'EXCEPTION', 'EXPIRED', 'CLOSED']);

export class CaseWatch {
  /** The run's cases (opened by its triggers) and how each customer behaves. */
  readonly plans = new Map<string, CustomerPlan>();
  readonly triggeredAt = new Map<string, number>();
  readonly actedAt = new Map<string, number>();
  readonly states = new Map<string, CaseState[]>();
  /** writeback.result messages per idempotency key. */
  readonly results = new Map<string, WritebackResult[]>();
  /** When the last writeback of a case was applied (not as a duplicate). */
  readonly appliedAt = new Map<string, number>();
  /** The run's writebacks: idempotency key → case and destination. */
  readonly ourKeys = new Map<string, { caseId: string; destination: string }>();
  actionDuplicates = 0;
  // An outreach can be read before the trigger POST that opened its case has returned here (a loaded machine answers
  // the HTTP call after the orchestrator already acted on the event): it waits for the case's plan.
  private readonly beforePlan = new Map<string, OutreachRequested[]>();

  private constructor(private readonly kafka: KafkaClient) {}

  /** Connects to Kafka and subscribes from the topics' current end. */
  static async start(env: Record<string, string>): Promise<CaseWatch> {
    const kafka = new KafkaClient({
      clientId: `main-job-${randomUUID().slice(0, 8)}`,
      ...kafkaConnectionFromEnv(env),
      schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
      topics: [Topics.outreachEvent, Topics.miniappAction],
    });
    await kafka.start();
    const watch = new CaseWatch(kafka);
    await watch.subscribe(`main-job.${randomUUID()}`);
    return watch;
  }

  lastState(caseId: string): string | undefined {
    return this.states.get(caseId)?.at(-1)?.state;
  }

  /** A case the run's trigger opened: its customer's plan; an outreach that came first is answered now. */
  async opened(caseId: string, plan: CustomerPlan): Promise<void> {
    this.plans.set(caseId, plan);
    this.triggeredAt.set(caseId, Date.now());
    for (const o of this.beforePlan.get(caseId) ?? []) await this.act(o);
    this.beforePlan.delete(caseId);
  }

  async close(): Promise<void> {
    await this.kafka.close();
  }

  private async subscribe(group: string): Promise<void> {
    const subs = await Promise.all([
      this.kafka.subscriber.subscribe({
        groupId: `${group}.outreach`,
        topic: Topics.outreachRequested,
        handler: ({ value }) => this.act(value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.states`,
        topic: Topics.caseState,
        handler: async ({ value }) =>
          void this.states.set(value.caseId, [...(this.states.get(value.caseId) ?? []), value]),
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
          this.results.set(value.idempotencyKey, [...(this.results.get(value.idempotencyKey) ?? []), value]);
          if (value.status === 'APPLIED' && !value.duplicate) this.appliedAt.set(value.caseId, Date.now());
        },
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.audit`,
        topic: Topics.auditEvent,
        handler: async ({ value }) => {
          if (value.action === 'action.duplicate' && this.plans.has(value.correlationId))
            this.actionDuplicates += 1;
        },
      }),
    ]);
    await Promise.all(subs.map((s) => s.whenPositioned()));
  }

  /** The customer answers the outreach attempt its plan names: delivered, then its action(s), or nothing. */
  private async act(o: OutreachRequested): Promise<void> {
    const plan = this.plans.get(o.caseId);
    if (!plan) {
      this.beforePlan.set(o.caseId, [...(this.beforePlan.get(o.caseId) ?? []), o]);
      return;
    }
    if (o.attempt !== plan.actOnAttempt) return;
    const actions = customerActions(o, plan);
    if (actions === undefined) return;
    this.actedAt.set(o.caseId, Date.now());
    await this.kafka.publisher.publishMany([
      {
        topic: Topics.outreachEvent,
        key: { caseId: o.caseId },
        value: {
          eventId: randomUUID(),
          occurredAt: Date.now(),
          correlationId: o.correlationId,
          causationId: o.eventId,
          caseId: o.caseId,
          outreachId: o.outreachId,
          channel: o.channel,
          status: 'DELIVERED' as const,
          providerRef: `sim-${o.outreachId}`,
          reason: null,
        },
        headers: { correlationId: o.correlationId },
      },
      ...actions.map(
        (a) =>
          ({
            topic: Topics.miniappAction,
            key: { caseId: o.caseId },
            value: a,
            headers: { correlationId: o.correlationId, idempotencyKey: a.idempotencyKey },
          }) as const,
      ),
    ]);
  }
}

/** What the mini-app publishes for this customer's plan; undefined for one who never answers. */
function customerActions(o: OutreachRequested, plan: CustomerPlan): MiniappAction[] | undefined {
  const base = (overrides: Partial<MiniappAction>): MiniappAction => ({
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: o.correlationId,
    causationId: o.eventId,
    idempotencyKey: `act-${o.caseId}-${plan.kind}`,
    caseId: o.caseId,
    workflowId: o.workflowId,
    actionId: randomUUID(),
    action: plan.action,
    identityMethod: 'OTP_AND_KNOWN_FACT',
    consentRef: `consent-${o.caseId}`,
    sessionRef: `sess-${o.caseId}`,
    parameters: plan.parameters,
    ...overrides,
  });
  switch (plan.kind) {
    case 'act':
      return [base({})];
    case 'double-tap': {
      const first = base({});
      return [first, { ...first, eventId: randomUUID() }];
    }
    case 'wrong-then-right':
      return [
        base({ idempotencyKey: `act-${o.caseId}-wrong`, parameters: plan.wrongParameters ?? {} }),
        base({}),
      ];
    case 'decline':
      return [base({ action: 'decline', parameters: { reason: 'prefers to call' } })];
    case 'ignore':
      return undefined;
  }
}
