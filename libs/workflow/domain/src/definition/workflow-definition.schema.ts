import { Duration } from 'luxon';
import { z } from 'zod';

/**
 * A workflow definition is data (YAML or JSON), reviewed like code. This schema checks its shape and names the field
 * and the rule of every problem; the readiness gate (readiness-gate.ts) then checks that nothing a bank's operations
 * team relies on is missing before the definition may be activated. Sections the gate reports by name (idempotency,
 * retryPolicy, slo.reconciliationWindow, audit) are optional here, so the gate can list every missing item at once
 * instead of the parser stopping at the first.
 */

const rule = (message: string) => ({ message });

/** An ISO 8601 duration such as PT24H or P7D (luxon parses it); stored as milliseconds. */
export const isoDuration = z
  .string(rule('must be an ISO 8601 duration such as PT24H or P7D'))
  .transform((text, ctx) => {
    const d = Duration.fromISO(text);
    const ms = d.isValid ? d.toMillis() : NaN;
    if (!Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a positive ISO 8601 duration such as PT24H or P7D (got "${text}")`,
      });
      return z.NEVER;
    }
    return { iso: text, ms };
  });
export type IsoDuration = z.output<typeof isoDuration>;

export const CHANNELS = ['SMS', 'EMAIL', 'WHATSAPP'] as const;
export type OutreachChannel = (typeof CHANNELS)[number];

export const IDENTITY_METHODS = ['NONE', 'OTP', 'KNOWN_FACT', 'OTP_AND_KNOWN_FACT'] as const;
export type IdentityMethodName = (typeof IDENTITY_METHODS)[number];

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Every error class a writeback result can carry (writeback.result.v1 WritebackErrorClass). */
export const ERROR_CLASSES = [
  'TRANSIENT',
  'RATE_LIMITED',
  'VALIDATION',
  'AMBIGUOUS',
  'CONFLICT',
  'CIRCUIT_OPEN',
] as const;
export type ErrorClassName = (typeof ERROR_CLASSES)[number];

/** The exception paths every workflow must route, each to a queue with guidance for the agent. */
export const EXCEPTION_KINDS = [
  'DECLINED',
  'INELIGIBLE',
  'EXPIRED',
  'OPTED_OUT',
  'WRITEBACK_FAILED',
  'DESTINATION_DEGRADED',
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/**
 * Exception paths a workflow may route, added after definitions were first written (so an older definition without
 * one stays valid; the orchestrator routes that kind by a documented fallback). UNREACHABLE: messaging could not
 * reach the customer (every attempt failed, or no consent or contact point to send on). VERIFICATION_FAILED: the
 * customer used up their tries at the mini-app's identity check (one-time code or known facts), so the case is locked
 * for self-service and an agent must verify them another way.
 */
export const OPTIONAL_EXCEPTION_KINDS = ['UNREACHABLE', 'VERIFICATION_FAILED'] as const;
export type OptionalExceptionKind = (typeof OPTIONAL_EXCEPTION_KINDS)[number];

/** The audit fields every decision of a case must carry; the gate refuses a definition that omits one. */
export const REQUIRED_AUDIT_FIELDS = [
  'actor',
  'action',
  'outcome',
  'reason',
  'correlationId',
  'caseId',
  'definitionVersion',
  'ruleId',
  'sourceEventId',
  'payloadRef',
  'identityMethod',
  'consentRef',
  'idempotencyKey',
  'contractVersion',
  'mappingVersion',
  'providerRef',
] as const;
export type AuditFieldName = (typeof REQUIRED_AUDIT_FIELDS)[number];

const identifier = z
  .string(rule('must be a lower-case identifier such as pay-now'))
  .regex(
    /^[a-z][a-z0-9-]{1,63}$/,
    rule('must be a lower-case identifier such as pay-now (letters, digits, dashes)'),
  );

/**
 * A json-rules-engine condition tree (`all` / `any` / `not` of `{fact, operator, value, path?}`). Its inner shape is
 * checked when the rules engine compiles it (eligibility.ts), which names the offending condition.
 */
const conditionTree = z.union(
  [
    z.object({ all: z.array(z.unknown()).min(1, rule('must hold at least one condition')) }).loose(),
    z.object({ any: z.array(z.unknown()).min(1, rule('must hold at least one condition')) }).loose(),
    z.object({ not: z.unknown() }).loose(),
  ],
  rule('must be a rules-engine condition with all, any or not'),
);
export type ConditionTree = z.output<typeof conditionTree>;

/**
 * How a value of the canonical payload is taken from the case: a literal, a path into the case facts, or a path
 * whose value is cast or computed. Facts: `caseId`, `workflowId`, `trigger` (amount, attributes, source),
 * `customer` (customerId, accountId, …), `action` (action, parameters, consentRef).
 */
export const payloadValueSchema: z.ZodType<PayloadValue> = z.lazy(() =>
  z.union(
    [
      z.strictObject({
        from: z.string().min(1),
        as: z.enum(['string', 'integer']).optional(),
        /** The canonical field is left out when the fact is absent (e.g. address line2); otherwise it is an error. */
        optional: z.boolean().optional(),
      }),
      z.strictObject({ template: z.string().min(1, rule('must be a template such as "CLOSEOUT-{caseId}"')) }),
      z.strictObject({
        moneyDividedBy: z.strictObject({ money: z.string().min(1), by: z.string().min(1) }),
      }),
      z.strictObject({ literal: z.union([z.string(), z.number(), z.boolean()]) }),
      z.record(z.string(), payloadValueSchema),
    ],
    rule('must be {from}, {template}, {moneyDividedBy}, {literal} or an object of those'),
  ),
);
export type PayloadValue =
  | { from: string; as?: 'string' | 'integer' | undefined; optional?: boolean | undefined }
  | { template: string }
  | { moneyDividedBy: { money: string; by: string } }
  | { literal: string | number | boolean }
  | { [field: string]: PayloadValue };

export const idempotencyDesignSchema = z.strictObject({
  /** The parts hashed into the key, in the writeback domain's derivation: never random per attempt. */
  key: z.array(z.enum(['customerId', 'workflowId', 'operation', 'sequence'])),
  /** What distinguishes repeated business actions of one kind: the case, the upstream event or a fact path. */
  sequence: z
    .string()
    .min(1, rule('must name the fact that makes the key unique per business action, e.g. caseId')),
});
export type IdempotencyDesign = z.output<typeof idempotencyDesignSchema>;

export const writebackSpecSchema = z.strictObject({
  id: identifier,
  destination: z.string().min(1, rule('must name a configured system of record')),
  protocol: z.enum(['REST', 'SOAP', 'SFTP'], rule('must be REST, SOAP or SFTP')),
  operation: z.enum(
    ['payment.post', 'card.update', 'arrangement.create', 'address.update', 'document.attach', 'flag.clear'],
    rule(
      'must be a writeback operation (payment.post, card.update, arrangement.create, address.update, document.attach, flag.clear)',
    ),
  ),
  mappingVersion: z.string().min(1, rule('must pin a mapping version such as "1"')),
  /** A case completes only when every required writeback is applied. */
  required: z.boolean().default(true),
  payload: z.record(z.string(), payloadValueSchema),
  /** Overrides the workflow's idempotency design for this writeback. */
  idempotency: idempotencyDesignSchema.optional(),
});
export type WritebackSpec = z.output<typeof writebackSpecSchema>;

export const actionSpecSchema = z.strictObject({
  id: identifier,
  /** The mini-app action name in miniapp.action.v1 (`payment.authorize`, `plan.choose`, …). */
  action: z.string().regex(/^[a-z]+(\.[a-z_]+)+$/, rule('must be a dotted action name such as plan.choose')),
  label: z.string().min(1),
  /** Which customers may see the action (rules over the case facts). Absent: every customer of the workflow. */
  eligibility: conditionTree.optional(),
  /** Rules the submitted parameters must satisfy (facts `parameters`, plus the case facts). */
  parameterRules: conditionTree.optional(),
  /** Stronger identity than the workflow's for this action (money movement). */
  identity: z.enum(IDENTITY_METHODS).optional(),
  writebacks: z
    .array(writebackSpecSchema)
    .min(1, rule('must list at least one writeback: an action that writes nothing back proves nothing')),
});
export type ActionSpec = z.output<typeof actionSpecSchema>;

const retryRuleSchema = z.strictObject({
  strategy: z.enum(['backoff', 'retry-after', 'none', 'resolve-by-query', 'wait-for-breaker']),
  maxAttempts: z.int().min(1).optional(),
  /** Where a writeback that ends with this class goes: correction (bad data), operations (the core), none. */
  route: z.enum(['correction', 'operations', 'none']),
  /** How long a writeback may stay unresolved with this class before the case becomes an exception. */
  escalateAfter: isoDuration.optional(),
});
export type RetryRule = z.output<typeof retryRuleSchema>;

const exceptionPathSchema = z.strictObject({
  queue: z.string().min(1, rule('must name the agent queue')),
  priority: z.enum(['low', 'normal', 'high', 'urgent']),
  guidance: z.string().min(1, rule('must tell the agent what to do')),
});
export type ExceptionPath = z.output<typeof exceptionPathSchema>;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, rule('must be HH:MM (24-hour)'));

export const workflowDefinitionSchema = z.strictObject({
  id: identifier,
  version: z.string().regex(/^\d+$/, rule('must be a whole number as text, e.g. "3"')),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Upstream trigger types this workflow opens for (mapped by trigger-ingest). */
  triggers: z.array(z.string().min(1)).min(1, rule('must list at least one trigger event type')),
  completion: z.strictObject({
    statement: z.string().min(10, rule('must state in words what a completed case means')),
    /** The writeback fields that prove it: `payload.<field>` of the request or `result.<field>` of the result. */
    proof: z
      .array(
        z.strictObject({
          writeback: identifier,
          fields: z
            .array(
              z
                .string()
                .regex(
                  /^(payload|result)\.[A-Za-z0-9_.]+$/,
                  rule('must be payload.<field> or result.<field>'),
                ),
            )
            .min(1),
        }),
      )
      .min(1, rule('must name at least one writeback field that proves completion')),
  }),
  identity: z.strictObject({ risk: z.enum(RISK_LEVELS), method: z.enum(IDENTITY_METHODS) }),
  outreach: z.strictObject({
    purpose: z.string().min(1),
    templateId: z.string().min(1),
    channels: z
      .array(z.enum(CHANNELS))
      .min(1, rule('must list at least one channel, in the order to try them')),
    /** Delays after the first message at which reminders go out, each on the next channel in order. */
    reminders: z.array(isoDuration).default([]),
    /** How long the customer has to act before the case expires. */
    expiry: isoDuration,
    /** No messages from `start` to `end` in the recipient's time zone (wrapping past midnight); messaging enforces it. */
    quietHours: z.strictObject({ start: clock, end: clock }).optional(),
  }),
  actions: z.array(actionSpecSchema).min(1, rule('must offer at least one action')),
  exceptions: z.strictObject({
    ...(Object.fromEntries(EXCEPTION_KINDS.map((k) => [k, exceptionPathSchema])) as Record<
      ExceptionKind,
      typeof exceptionPathSchema
    >),
    ...(Object.fromEntries(
      OPTIONAL_EXCEPTION_KINDS.map((k) => [k, exceptionPathSchema.optional()]),
    ) as Record<OptionalExceptionKind, z.ZodOptional<typeof exceptionPathSchema>>),
  }),
  idempotency: idempotencyDesignSchema.optional(),
  retryPolicy: z.partialRecord(z.enum(ERROR_CLASSES), retryRuleSchema).optional(),
  slo: z.strictObject({
    /** Share of writebacks applied within the window, e.g. 0.995. */
    writebackSuccessRate: z.number().gt(0).lte(1),
    /** Action to every required writeback applied; a destination degraded past it is an exception. */
    writebackLatencyCeiling: isoDuration,
    /** Trigger to completed case. */
    timeToCompletion: isoDuration,
    reconciliationWindow: isoDuration.optional(),
  }),
  audit: z.strictObject({ fields: z.array(z.string().min(1)) }).optional(),
});

export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;
export type WorkflowDefinitionInput = z.input<typeof workflowDefinitionSchema>;
