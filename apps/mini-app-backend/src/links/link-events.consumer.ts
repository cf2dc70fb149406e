import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Topics, type CaseState, type OutreachEvent } from '@closeout/contracts';
import { EventSubscriber } from '@closeout/kafka';
import { firstDeliveries } from '@closeout/outbox';
import {
  TERMINAL_CASE_STATES,
  recordDeliveredLink,
  recordSentLink,
  replaceKnownFacts,
  revokeCaseLinks,
  type CustomerFactsView,
  type OutreachEventView,
  type SentLink,
} from './link-events';
import { MINIAPP_SERVICE_NAME } from '../tokens';

/** Most messages a batch handler takes at once (one transaction each). */
const BATCH = 200;

const HEX64 = /^[0-9a-f]{64}$/;

/** What is wrong with a SENT event's link (the rule, never the value), or undefined. */
export function linkProblem(link: SentLink): string | undefined {
  if (!HEX64.test(link.tokenSha256)) return 'link.tokenSha256: must be 64 lower-case hex digits';
  for (const field of ['customerId', 'workflowId', 'purpose'] as const)
    if (link[field].length === 0 || link[field].length > 256)
      return `link.${field}: must be 1–256 characters`;
  if (link.locale !== null && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/.test(link.locale))
    return 'link.locale: must be a BCP 47 tag';
  return undefined;
}

/** What is wrong with a customer.facts statement (the rule, never a value), or undefined. */
export function factsProblem(statement: CustomerFactsView): string | undefined {
  if (statement.facts.length > 8) return 'facts: at most 8';
  for (const [i, f] of statement.facts.entries()) {
    if (f.name !== 'dateOfBirth' && f.name !== 'postalCode')
      return `facts[${i}].name: must be dateOfBirth or postalCode`;
    if (!/^scrypt:/.test(f.algorithm) || f.algorithm.length > 64)
      return `facts[${i}].algorithm: must be scrypt:…`;
    if (!/^[A-Za-z0-9+/]{1,128}={0,2}$/.test(f.salt))
      return `facts[${i}].salt: must be base64, at most 128 characters`;
    if (!/^[A-Za-z0-9+/]{1,128}={0,2}$/.test(f.hash))
      return `facts[${i}].hash: must be base64, at most 128 characters`;
  }
  return undefined;
}

const linkOf = (event: OutreachEvent): SentLink | null | undefined => (event as OutreachEventView).link;

/**
 * The mini-app's inputs: `outreach.event.v1` (a SENT link is recorded and supersedes the case's older open links; an
 * OPTED_OUT revokes the case's open links), `case.state.v1` (a terminal state revokes them, and any link of the case
 * still to come), `customer.facts.v1` (the customer's hashed facts, replaced whole). Each batch is one transaction
 * behind the inbox (`processed_event`), so a redelivery changes nothing.
 */
@Injectable()
export class LinkEventsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MINIAPP_SERVICE_NAME) private readonly serviceName: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.outreach-event`,
      topic: Topics.outreachEvent,
      maxBatchSize: BATCH,
      validate: ({ value }) => {
        const link = linkOf(value);
        return (value.status === 'SENT' || value.status === 'DELIVERED') && link
          ? linkProblem(link)
          : undefined;
      },
      batchHandler: (messages) => this.recordOutreachEvents(messages.map((m) => m.value)),
    });
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.case-state`,
      topic: Topics.caseState,
      maxBatchSize: BATCH,
      batchHandler: (messages) => this.recordCaseStates(messages.map((m) => m.value)),
    });
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.customer-facts`,
      topic: Topics.customerFacts,
      maxBatchSize: BATCH,
      validate: ({ value }) => factsProblem(value),
      batchHandler: (messages) => this.recordCustomerFacts(messages.map((m) => m.value)),
    });
  }

  /**
   * SENT with a link → recorded (older open links of the case revoked); DELIVERED with a link (no SENT preceded it)
   * → recorded if new, open only when the case has no other link; OPTED_OUT → the case's open links revoked.
   */
  async recordOutreachEvents(events: readonly OutreachEvent[]): Promise<void> {
    const relevant = events.filter(
      (e) => ((e.status === 'SENT' || e.status === 'DELIVERED') && linkOf(e)) || e.status === 'OPTED_OUT',
    );
    if (relevant.length === 0) return;
    await this.db.transaction(async (tx) => {
      const fresh = await firstDeliveries(
        tx,
        'outreach-event',
        relevant.map((e) => e.eventId),
      );
      for (const event of relevant) {
        if (!fresh.delete(event.eventId)) continue;
        const link = linkOf(event);
        if (event.status === 'SENT' && link) await recordSentLink(tx, event as OutreachEventView, link);
        else if (event.status === 'DELIVERED' && link)
          await recordDeliveredLink(tx, event as OutreachEventView, link);
        else await revokeCaseLinks(tx, event.caseId, 'opted-out');
      }
    });
  }

  /** A terminal state revokes the case's links, and any link of the case that arrives later. */
  async recordCaseStates(states: readonly CaseState[]): Promise<void> {
    const terminal = states.filter((s) => TERMINAL_CASE_STATES.has(s.state));
    if (terminal.length === 0) return;
    await this.db.transaction(async (tx) => {
      const fresh = await firstDeliveries(
        tx,
        'case-state',
        terminal.map((s) => s.eventId),
      );
      for (const state of terminal)
        if (fresh.delete(state.eventId)) await revokeCaseLinks(tx, state.caseId, 'case-terminal', true);
    });
  }

  /** The customer's facts, replaced whole by the latest statement. */
  async recordCustomerFacts(statements: readonly CustomerFactsView[]): Promise<void> {
    if (statements.length === 0) return;
    await this.db.transaction(async (tx) => {
      const fresh = await firstDeliveries(
        tx,
        'customer-facts',
        statements.map((s) => s.eventId),
      );
      for (const statement of statements)
        if (fresh.delete(statement.eventId)) await replaceKnownFacts(tx, statement);
    });
  }
}
