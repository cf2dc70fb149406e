/**
 * One form per kind of action the customer can take (`card.update`, `payment.authorize`, `plan.choose`,
 * `address.confirm`, `document.upload`, …). The mini-app's pages render a form for each action the orchestrator says
 * is eligible for the case, and on submit hand the request to the form's `parse`: it validates (naming the field and
 * the rule), calls whatever the action needs (the card processor's token lookup, the document store), and returns
 * the `miniapp.action` parameters. Publishing (idempotency, outbox, audit) is not the form's business.
 *
 * Forms are collected in the `ACTION_FORMS` registry token (one provider per form), like a provider registry: the
 * page looks the form up by `action`; an eligible action with no form is shown as "call us" and never published.
 */
import type { InjectionToken } from '@nestjs/common';

export const ACTION_FORMS: InjectionToken = Symbol('ACTION_FORMS');

/** What the orchestrator says about one eligible action (`GET /v1/cases/{caseId}/eligible-actions`). */
export interface EligibleActionView {
  actionId: string;
  /** e.g. `card.update` */
  action: string;
  label: string;
  /**
   * The numeric bounds and required fields the workflow puts on the action's parameters, flattened from its
   * `parameterRules` (`all` chains only), e.g. `{ field: 'installments', operator: 'numberLessThanInclusive', value: 6 }`.
   */
  parameterRules: { field: string; operator: string; value: unknown }[];
}

export interface Money {
  amountMinor: number;
  currency: string;
}

/** Everything a form may use to render and to parse. Holds no personal data of the customer. */
export interface ActionFormContext {
  caseId: string;
  workflowId: string;
  /** The mini-app session's opaque reference (what `miniapp.action.sessionRef` carries). */
  sessionRef: string;
  /** BCP 47, one the mini-app has strings for. */
  locale: string;
  /** The amount the case carries (from the orchestrator), when it has one. */
  amount: Money | null;
  eligible: EligibleActionView;
  /** Localised strings: `t('card.title')`; unknown keys come back as the key. */
  t: (key: string, vars?: Record<string, string | number>) => string;
  /** Escapes text for HTML; forms never interpolate unescaped values. */
  escape: (text: string) => string;
  /** The hidden CSRF input to put inside every <form> (already escaped HTML). */
  csrfField: string;
  /** Absolute path of this action's form POST target, e.g. `/s/actions/update-card`. */
  postPath: string;
  /** Absolute base URL of the mini-app as the customer reaches it (for return URLs). */
  publicBaseUrl: string;
  now: Date;
}

/** A file the customer uploaded with the form (multipart), bounded in size by the controller. */
export interface UploadedFile {
  field: string;
  originalName: string;
  declaredType: string;
  bytes: Buffer;
}

export interface FieldError {
  field: string;
  rule: string;
}

export type ParseResult =
  | {
      ok: true;
      parameters: Record<string, string>;
      /** The version id of the consent / terms text the form showed (hashed text versions live with the form). */
      consentTextVersion: string;
    }
  | {
      ok: false;
      errors: FieldError[];
      /**
       * A document refused for what it is (malware found by the scanner), for the caller to audit: the rule, the
       * scanner and the signature's name — never the content.
       */
      refused?: { rule: string; scanner: string; signature: string };
    };

export interface RenderState {
  /** What the customer typed, to show again after an error (never card data: forms do not receive it). */
  values?: Record<string, string>;
  errors?: FieldError[];
  /** Query parameters on a GET of the form (e.g. the processor's return with a token reference). */
  query?: Record<string, string>;
}

export interface ActionForm {
  /** The `action` it handles, e.g. `card.update`. */
  readonly action: string;
  /** Whether the form posts multipart/form-data (uploads). */
  readonly multipart?: boolean;
  /** An HTML fragment: the form, with ctx.csrfField inside, posting to ctx.postPath. */
  render(ctx: ActionFormContext, state?: RenderState): string | Promise<string>;
  parse(ctx: ActionFormContext, body: Record<string, string>, files: UploadedFile[]): Promise<ParseResult>;
}
