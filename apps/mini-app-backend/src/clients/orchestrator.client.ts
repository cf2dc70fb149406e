/**
 * The orchestrator's eligible actions for a case (`GET /v1/cases/{caseId}/eligible-actions`): what the page offers.
 * The orchestrator re-checks every action it receives; this answer only decides what is shown.
 */
import { z } from '@closeout/config';
import { IDENTITY_METHODS } from '../identity/identity-method';
import { callJson } from './bounded-json';

const id = z.string().min(1).max(128);
const identity = z.enum(IDENTITY_METHODS);

export const eligibleActionsSchema = z.object({
  caseId: id,
  workflowId: id,
  definitionVersion: z.string().max(64),
  state: z.string().max(32),
  awaitingCustomer: z.boolean(),
  identity: z.object({ method: identity }),
  amount: z
    .object({
      amountMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      currency: z.string().regex(/^[A-Z]{3}$/),
    })
    .nullable(),
  actions: z
    .array(
      z.object({
        actionId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
        action: z.string().regex(/^[a-z0-9_.-]{1,64}$/),
        label: z.string().min(1).max(200),
        identity,
        parameterRules: z
          .array(
            z.object({
              field: z.string().min(1).max(64),
              operator: z.string().min(1).max(64),
              value: z.unknown(),
            }),
          )
          .max(32),
      }),
    )
    .max(16),
});

export type EligibleActions = z.infer<typeof eligibleActionsSchema>;
export type EligibleAction = EligibleActions['actions'][number];

export interface OrchestratorClientSettings {
  baseUrl: string;
  token: string;
  timeoutMs: number;
}

export class OrchestratorClient {
  constructor(private readonly settings: OrchestratorClientSettings) {}

  async eligibleActions(caseId: string): Promise<EligibleActions> {
    const { value } = await callJson({
      upstream: 'orchestrator',
      url: `${this.settings.baseUrl}/v1/cases/${encodeURIComponent(caseId)}/eligible-actions`,
      urlTemplate: '/v1/cases/{caseId}/eligible-actions',
      method: 'GET',
      token: this.settings.token,
      timeoutMs: this.settings.timeoutMs,
      maxBytes: 64 * 1024,
      ok: [200],
      schema: eligibleActionsSchema,
    });
    if (value.caseId !== caseId) throw new Error('the orchestrator answered for another case');
    return value;
  }
}
