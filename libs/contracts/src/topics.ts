import type {
  AuditEvent,
  AuditKey,
  CaseKey,
  CaseState,
  CaseTriggered,
  CustomerContact,
  CustomerFacts,
  CustomerKey,
  MiniappAction,
  OutreachEvent,
  OutreachRequested,
  WritebackCommand,
  WritebackRequested,
  WritebackResult,
  AvroSchemaName,
} from './generated';

/** Every topic name, defined once. Anything that names a topic imports it from here. */
export const Topics = {
  caseTriggered: 'case.triggered.v1',
  outreachRequested: 'outreach.requested.v1',
  outreachEvent: 'outreach.event.v1',
  miniappAction: 'miniapp.action.v1',
  writebackRequested: 'writeback.requested.v1',
  writebackResult: 'writeback.result.v1',
  writebackCommand: 'writeback.command.v1',
  caseState: 'case.state.v1',
  auditEvent: 'audit.event.v1',
  customerContact: 'customer.contact.v1',
  customerFacts: 'customer.facts.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Key and value types per topic, so a producer or consumer of a topic is typed by its name alone. */
export interface TopicTypes {
  'case.triggered.v1': { key: CaseKey; value: CaseTriggered };
  'outreach.requested.v1': { key: CaseKey; value: OutreachRequested };
  'outreach.event.v1': { key: CaseKey; value: OutreachEvent };
  'miniapp.action.v1': { key: CaseKey; value: MiniappAction };
  'writeback.requested.v1': { key: CaseKey; value: WritebackRequested };
  'writeback.result.v1': { key: CaseKey; value: WritebackResult };
  'writeback.command.v1': { key: CaseKey; value: WritebackCommand };
  'case.state.v1': { key: CaseKey; value: CaseState };
  'audit.event.v1': { key: AuditKey; value: AuditEvent };
  'customer.contact.v1': { key: CustomerKey; value: CustomerContact };
  'customer.facts.v1': { key: CustomerKey; value: CustomerFacts };
}

export type KeyOf<T extends TopicName> = TopicTypes[T]['key'];
export type ValueOf<T extends TopicName> = TopicTypes[T]['value'];

export interface TopicContract {
  topic: TopicName;
  keySchema: AvroSchemaName;
  valueSchema: AvroSchemaName;
}

const caseKeyed = (topic: TopicName): TopicContract => ({
  topic,
  keySchema: 'case-key',
  valueSchema: `${topic}-value` as AvroSchemaName,
});

/** Which schema file backs the key and the value of each topic (subjects follow TopicNameStrategy). */
export const topicContracts: Record<TopicName, TopicContract> = {
  'case.triggered.v1': caseKeyed(Topics.caseTriggered),
  'outreach.requested.v1': caseKeyed(Topics.outreachRequested),
  'outreach.event.v1': caseKeyed(Topics.outreachEvent),
  'miniapp.action.v1': caseKeyed(Topics.miniappAction),
  'writeback.requested.v1': caseKeyed(Topics.writebackRequested),
  'writeback.result.v1': caseKeyed(Topics.writebackResult),
  'writeback.command.v1': caseKeyed(Topics.writebackCommand),
  'case.state.v1': caseKeyed(Topics.caseState),
  'audit.event.v1': { topic: Topics.auditEvent, keySchema: 'audit-key', valueSchema: 'audit.event.v1-value' },
  // Personal data: published by trigger-ingest, read by messaging only.
  'customer.contact.v1': {
    topic: Topics.customerContact,
    keySchema: 'customer-key',
    valueSchema: 'customer.contact.v1-value',
  },
  // Personal data, hashed: published by trigger-ingest, read by the mini-app only.
  'customer.facts.v1': {
    topic: Topics.customerFacts,
    keySchema: 'customer-key',
    valueSchema: 'customer.facts.v1-value',
  },
};

/** The dead-letter topic of a topic: where undecodable or invalid messages go, with the reason in headers. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

export const keySubject = (topic: string): string => `${topic}-key`;
export const valueSubject = (topic: string): string => `${topic}-value`;
