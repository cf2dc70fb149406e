/**
 * The forms whose sensitive part happens on the card processor's hosted page (card.update, payment.authorize,
 * payment.bank_transfer): a button to the processor's page carrying `state` (bound to the session and the action)
 * and `return` (this form's path); on the way back (`?via=processor&state=…&token=…`) the token is looked up server
 * to server and its summary shown with a confirm button. parse() checks the state and looks the token up again:
 * nothing the browser sends back is trusted.
 */
import type {
  ActionForm,
  ActionFormContext,
  FieldError,
  ParseResult,
  RenderState,
  UploadedFile,
} from '../action-form';
import type { CardProcessorClient, TokenDetails, TokenKind } from './card-processor.client';
import { tokenPattern } from './card-processor.client';
import { consentText, errorSummary, formOpen, inputId, submitButton, type FieldSpec } from './form-kit';
import { ActionFormUnavailableError } from './form-errors';
import type { ProcessorState } from './processor-state';

export interface HostedTokenFormDeps {
  /** The processor's origin as the customer's browser reaches it (CARD_PROCESSOR_URL). */
  processorUrl: string;
  client: CardProcessorClient;
  state: ProcessorState;
}

/** The query marker on the return URL, so the page knows the GET comes back from the processor. */
export const RETURN_MARKER = { name: 'via', value: 'processor' } as const;

export abstract class HostedTokenForm implements ActionForm {
  abstract readonly action: string;
  /** Which hosted page and which token prefix. */
  protected abstract readonly kind: TokenKind;
  /** Prefix of this form's strings: `<prefix>.title`, `.intro`, `.start`, `.confirm`, `.consent`, `.summary`. */
  protected abstract readonly strings: string;

  constructor(protected readonly deps: HostedTokenFormDeps) {}

  /** Shown under the title (the amount, for a payment). */
  protected introHtml(ctx: ActionFormContext): string {
    return `<p>${ctx.escape(ctx.t(`${this.strings}.intro`))}</p>`;
  }

  /** One line saying which card or account the token stands for (no more than last four digits). */
  protected abstract summary(ctx: ActionFormContext, details: TokenDetails): string;

  /** The action's parameters from a verified token, or the errors of its bounds. */
  protected abstract parameters(
    ctx: ActionFormContext,
    details: TokenDetails,
  ): Record<string, string> | FieldError[];

  private fields(): FieldSpec[] {
    return [
      { name: 'token', label: `${this.strings}.token.label`, type: 'text', required: true },
      { name: 'state', label: `${this.strings}.token.label`, type: 'text', required: true },
    ];
  }

  /** The processor's hosted page for this session and action. */
  processorLink(ctx: ActionFormContext): string {
    const back = new URL(ctx.postPath, ctx.publicBaseUrl);
    back.searchParams.set(RETURN_MARKER.name, RETURN_MARKER.value);
    const link = new URL('/hosted/card', this.deps.processorUrl);
    link.searchParams.set('state', this.deps.state.of(ctx, this.kind));
    link.searchParams.set('return', back.href);
    if (this.kind === 'bank-account') link.searchParams.set('kind', 'bank-account');
    return link.href;
  }

  /** Checks state and token and looks the token up; `unavailable` only while rendering. */
  private async verify(
    ctx: ActionFormContext,
    state: string | undefined,
    token: string | undefined,
  ): Promise<{ details: TokenDetails } | { error: FieldError }> {
    if (!this.deps.state.matches(ctx, this.kind, state))
      return { error: { field: 'state', rule: 'state-mismatch' } };
    if (!token || !tokenPattern(this.kind).test(token)) return { error: { field: 'token', rule: 'format' } };
    const found = await this.deps.client.lookup(token, this.kind);
    if (!found.ok) return { error: { field: 'token', rule: `token-${found.reason}` } };
    return { details: found.details };
  }

  async render(ctx: ActionFormContext, state: RenderState = {}): Promise<string> {
    const e = ctx.escape;
    const query = state.query ?? {};
    const stateParam = query['state'] ?? state.values?.['state'];
    const token = query['token'] ?? state.values?.['token'];
    const errors = [...(state.errors ?? [])];
    let details: TokenDetails | null = null;
    if (token !== undefined && errors.length === 0) {
      try {
        const verified = await this.verify(ctx, stateParam, token);
        if ('details' in verified) details = verified.details;
        else errors.push(verified.error);
      } catch (error) {
        if (!(error instanceof ActionFormUnavailableError)) throw error;
        errors.push({ field: 'token', rule: 'processor-unavailable' });
      }
    }
    const titleId = inputId(ctx, 'title');
    const head = `<section class="action-form" aria-labelledby="${e(titleId)}"><h2 id="${e(titleId)}">${e(
      ctx.t(`${this.strings}.title`),
    )}</h2>${this.introHtml(ctx)}${errorSummary(ctx, this.fields(), errors)}`;
    if (details && token !== undefined && stateParam !== undefined) {
      const consent = consentText(ctx, `${this.strings}.consent`);
      return `${head}<p class="summary" id="${e(inputId(ctx, 'token'))}">${e(this.summary(ctx, details))}</p>${formOpen(
        ctx,
      )}<input type="hidden" name="state" value="${e(stateParam)}"><input type="hidden" name="token" value="${e(
        token,
      )}">${consent.html}${submitButton(ctx, `${this.strings}.confirm`)}</form></section>`;
    }
    return `${head}<p class="hint" id="${e(inputId(ctx, 'state'))}">${e(ctx.t(`${this.strings}.start.hint`))}</p><p><a class="button" id="${e(
      inputId(ctx, 'token'),
    )}" href="${e(this.processorLink(ctx))}">${e(ctx.t(`${this.strings}.start`))}</a></p></section>`;
  }

  async parse(
    ctx: ActionFormContext,
    body: Record<string, string>,
    files: UploadedFile[],
  ): Promise<ParseResult> {
    if (files.length > 0) return { ok: false, errors: [{ field: 'document', rule: 'not-allowed' }] };
    const verified = await this.verify(ctx, body['state'], body['token']);
    if ('error' in verified) return { ok: false, errors: [verified.error] };
    const parameters = this.parameters(ctx, verified.details);
    if (Array.isArray(parameters)) return { ok: false, errors: parameters };
    return { ok: true, parameters, consentTextVersion: consentText(ctx, `${this.strings}.consent`).version };
  }
}
