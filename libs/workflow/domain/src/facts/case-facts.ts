import type { IdentityMethodName } from '../definition/workflow-definition.schema';

/** What the orchestrator knows about a case when it asks which actions to offer and builds writebacks. */
export interface CaseFacts {
  caseId: string;
  workflowId: string;
  trigger: {
    eventId: string;
    eventType: string;
    sourceSystem: string;
    amount: { amountMinor: number; currency: string } | null;
    /** Upstream attributes: strings, as Avro map<string,string> carries them. */
    attributes: Record<string, string>;
  };
  customer: { customerId: string; accountId: string | null; locale: string | null; timeZone: string | null };
}

/** What the customer submitted from the mini-app (miniapp.action.v1) and how they proved who they are. */
export interface ActionFacts {
  /** The mini-app action name, e.g. `plan.choose`. */
  action: string;
  /** Mini-app parameters: strings, as Avro map<string,string> carries them. */
  parameters: Record<string, string>;
  consentRef: string | null;
  identityMethod: IdentityMethodName;
}

/** The object payload-template paths and sequence sources are read from. */
export interface WritebackFacts {
  caseId: string;
  workflowId: string;
  trigger: CaseFacts['trigger'];
  customer: CaseFacts['customer'];
  action: ActionFacts;
}
