/**
 * plan.choose: a number of monthly installments within the workflow's bounds (1–12 when it states none) and the
 * first due date, from tomorrow to 30 days ahead → { installments, firstDueDate }. Each choice shows what one
 * installment comes to, rounded up in minor units as the writeback rounds it.
 */
import type {
  ActionForm,
  ActionFormContext,
  FieldError,
  ParseResult,
  RenderState,
  UploadedFile,
} from '../action-form';
import {
  consentText,
  errorSummary,
  formatMoney,
  formOpen,
  inputId,
  isFieldError,
  numericBounds,
  parseWholeNumber,
  renderField,
  submitButton,
  type FieldSpec,
} from './form-kit';

const DEFAULT_INSTALLMENTS = { min: 1, max: 12 };
/** The first due date lies within this many days when the workflow states no bound. */
export const DEFAULT_FIRST_DUE_WITHIN_DAYS = 30;
const DAY_MS = 86_400_000;

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class PlanChooseForm implements ActionForm {
  readonly action = 'plan.choose';

  private dueBounds(ctx: ActionFormContext): { min: string; max: string } {
    const today = Date.UTC(ctx.now.getUTCFullYear(), ctx.now.getUTCMonth(), ctx.now.getUTCDate());
    return { min: isoDay(today + DAY_MS), max: isoDay(today + DEFAULT_FIRST_DUE_WITHIN_DAYS * DAY_MS) };
  }

  private fields(ctx: ActionFormContext): FieldSpec[] {
    const { min, max } = numericBounds(ctx, 'installments', DEFAULT_INSTALLMENTS);
    const options: { value: string; label: string }[] = [];
    for (let n = min; n <= max; n++) {
      const each = ctx.amount
        ? formatMoney(ctx.locale, Math.ceil(ctx.amount.amountMinor / n), ctx.amount.currency)
        : '';
      options.push({
        value: String(n),
        label: ctx.t(each ? 'plan.option' : 'plan.option.noAmount', { count: n, each }),
      });
    }
    const due = this.dueBounds(ctx);
    return [
      {
        name: 'installments',
        label: 'plan.installments.label',
        hint: 'plan.installments.hint',
        type: 'select',
        required: true,
        min: String(min),
        max: String(max),
        options,
      },
      {
        name: 'firstDueDate',
        label: 'plan.firstDueDate.label',
        hint: 'plan.firstDueDate.hint',
        type: 'date',
        required: true,
        min: due.min,
        max: due.max,
      },
    ];
  }

  render(ctx: ActionFormContext, state: RenderState = {}): string {
    const e = ctx.escape;
    const fields = this.fields(ctx);
    const titleId = inputId(ctx, 'title');
    const total = ctx.amount ? formatMoney(ctx.locale, ctx.amount.amountMinor, ctx.amount.currency) : null;
    return `<section class="action-form" aria-labelledby="${e(titleId)}"><h2 id="${e(titleId)}">${e(
      ctx.t('plan.title'),
    )}</h2>${total ? `<p class="amount">${e(ctx.t('plan.intro', { amount: total }))}</p>` : ''}${errorSummary(
      ctx,
      fields,
      state.errors,
    )}${formOpen(ctx)}${fields.map((f) => renderField(ctx, f, state)).join('')}${
      consentText(ctx, 'plan.consent').html
    }${submitButton(ctx, 'plan.submit')}</form></section>`;
  }

  parse(ctx: ActionFormContext, body: Record<string, string>, files: UploadedFile[]): Promise<ParseResult> {
    const errors: FieldError[] = [];
    if (files.length > 0) errors.push({ field: 'document', rule: 'not-allowed' });
    const installments = parseWholeNumber(
      'installments',
      body['installments'],
      numericBounds(ctx, 'installments', DEFAULT_INSTALLMENTS),
    );
    if (isFieldError(installments)) errors.push(installments);
    const date = (body['firstDueDate'] ?? '').trim();
    const due = this.dueBounds(ctx);
    if (date === '') errors.push({ field: 'firstDueDate', rule: 'required' });
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || isoDay(Date.parse(`${date}T00:00:00Z`) || 0) !== date)
      errors.push({ field: 'firstDueDate', rule: 'format' });
    else if (date < due.min) errors.push({ field: 'firstDueDate', rule: 'min' });
    else if (date > due.max) errors.push({ field: 'firstDueDate', rule: 'max' });
    if (errors.length > 0 || isFieldError(installments)) return Promise.resolve({ ok: false, errors });
    return Promise.resolve({
      ok: true,
      parameters: { installments: String(installments), firstDueDate: date },
      consentTextVersion: consentText(ctx, 'plan.consent').version,
    });
  }
}
