/**
 * What every action form renders the same way: the <form> element with its CSRF field, a labelled field with its
 * hint and error linked by aria-describedby, the error summary, and the bounds a workflow puts on a parameter.
 * Every value interpolated into HTML goes through ctx.escape.
 */
import { createHash } from 'node:crypto';
import type { ActionFormContext, FieldError, RenderState } from '../action-form';

export interface FieldSpec {
  name: string;
  /** String key of the label, e.g. `address.line1.label`. */
  label: string;
  hint?: string;
  type: 'text' | 'date' | 'select' | 'file';
  required: boolean;
  autocomplete?: string;
  inputmode?: 'numeric' | 'text';
  maxlength?: number;
  /** `min`/`max` attributes (date fields) and the values error messages quote. */
  min?: string;
  max?: string;
  accept?: string;
  /** For selects: value and already-localised label. */
  options?: ReadonlyArray<{ value: string; label: string }>;
}

/** The string-keyed message of one error: `error.<rule>` with the field's label and bounds. */
export function errorText(ctx: ActionFormContext, field: FieldSpec | undefined, error: FieldError): string {
  const label = field ? ctx.t(field.label) : error.field;
  return ctx.t(`error.${error.rule}`, { field: label, min: field?.min ?? '', max: field?.max ?? '' });
}

/** `<form method="post" …>` with the CSRF field; multipart for uploads. */
export function formOpen(ctx: ActionFormContext, multipart = false): string {
  return `<form method="post" action="${ctx.escape(ctx.postPath)}"${
    multipart ? ' enctype="multipart/form-data"' : ''
  } novalidate>${ctx.csrfField}`;
}

/** The summary at the top of a form with errors: each message links to its field. */
export function errorSummary(ctx: ActionFormContext, fields: FieldSpec[], errors: FieldError[] = []): string {
  if (errors.length === 0) return '';
  const items = errors
    .map((e) => {
      const field = fields.find((f) => f.name === e.field);
      const target = field ? `#${ctx.escape(inputId(ctx, field.name))}` : '#';
      return `<li><a href="${target}">${ctx.escape(errorText(ctx, field, e))}</a></li>`;
    })
    .join('');
  return `<div class="error-summary" role="alert" tabindex="-1"><h2>${ctx.escape(
    ctx.t('form.errorSummary.title'),
  )}</h2><ul>${items}</ul></div>`;
}

/** Ids are prefixed by the action id: a page may show more than one form. */
export const inputId = (ctx: ActionFormContext, name: string): string => `${ctx.eligible.actionId}-${name}`;

/** One labelled field; hint and error are tied to the input by aria-describedby. */
export function renderField(ctx: ActionFormContext, field: FieldSpec, state: RenderState = {}): string {
  const id = inputId(ctx, field.name);
  const error = state.errors?.find((e) => e.field === field.name);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [field.hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ');
  const e = ctx.escape;
  const attrs = [
    `id="${e(id)}"`,
    `name="${e(field.name)}"`,
    field.required ? 'required aria-required="true"' : '',
    describedBy ? `aria-describedby="${e(describedBy)}"` : '',
    error ? 'aria-invalid="true"' : '',
    field.autocomplete ? `autocomplete="${e(field.autocomplete)}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const value = field.type === 'file' ? '' : (state.values?.[field.name] ?? '');
  let control: string;
  switch (field.type) {
    case 'select':
      control = `<select ${attrs}><option value="">${e(ctx.t('form.select.placeholder'))}</option>${(
        field.options ?? []
      )
        .map(
          (o) =>
            `<option value="${e(o.value)}"${o.value === value ? ' selected' : ''}>${e(o.label)}</option>`,
        )
        .join('')}</select>`;
      break;
    case 'file':
      control = `<input type="file" ${attrs}${field.accept ? ` accept="${e(field.accept)}"` : ''}>`;
      break;
    case 'date':
      control = `<input type="date" ${attrs}${field.min ? ` min="${e(field.min)}"` : ''}${
        field.max ? ` max="${e(field.max)}"` : ''
      } value="${e(value)}">`;
      break;
    case 'text':
      control = `<input type="text" ${attrs}${field.inputmode ? ` inputmode="${e(field.inputmode)}"` : ''}${
        field.maxlength ? ` maxlength="${field.maxlength}"` : ''
      } value="${e(value)}">`;
      break;
  }
  return `<div class="field${error ? ' field-error' : ''}"><label for="${e(id)}">${e(ctx.t(field.label))}${
    field.required ? '' : ` <span class="optional">${e(ctx.t('form.optional'))}</span>`
  }</label>${field.hint ? `<p class="hint" id="${e(hintId)}">${e(ctx.t(field.hint, { min: field.min ?? '', max: field.max ?? '' }))}</p>` : ''}${
    error ? `<p class="error" id="${e(errorId)}">${e(errorText(ctx, field, error))}</p>` : ''
  }${control}</div>`;
}

/** The numeric bounds the workflow puts on `field` (numberGreaterThanInclusive / numberLessThanInclusive). */
export function numericBounds(
  ctx: ActionFormContext,
  field: string,
  fallback: { min: number; max: number },
): { min: number; max: number } {
  let { min, max } = fallback;
  for (const rule of ctx.eligible.parameterRules) {
    if (rule.field !== field || typeof rule.value !== 'number' || !Number.isFinite(rule.value)) continue;
    switch (rule.operator) {
      case 'numberGreaterThanInclusive':
      case 'greaterThanInclusive':
        min = Math.max(min, Math.ceil(rule.value));
        break;
      case 'numberGreaterThan':
      case 'greaterThan':
        min = Math.max(min, Math.floor(rule.value) + 1);
        break;
      case 'numberLessThanInclusive':
      case 'lessThanInclusive':
        max = Math.min(max, Math.floor(rule.value));
        break;
      case 'numberLessThan':
      case 'lessThan':
        max = Math.min(max, Math.ceil(rule.value) - 1);
        break;
      default:
        break;
    }
  }
  return { min, max };
}

/** The values the workflow allows for `field` (an `in` rule), or null when it states none. */
export function allowedValues(ctx: ActionFormContext, field: string): string[] | null {
  const rule = ctx.eligible.parameterRules.find((r) => r.field === field && r.operator === 'in');
  if (!rule || !Array.isArray(rule.value)) return null;
  return rule.value.filter((v): v is string => typeof v === 'string');
}

/**
 * A whole-number field: `required`, `format` (digits only, at most 6), `min`/`max` against the bounds.
 * Returns the number or the error.
 */
export function parseWholeNumber(
  field: string,
  raw: string | undefined,
  bounds: { min: number; max: number },
): number | FieldError {
  const text = (raw ?? '').trim();
  if (text === '') return { field, rule: 'required' };
  if (!/^\d{1,6}$/.test(text)) return { field, rule: 'format' };
  const n = Number(text);
  if (n < bounds.min) return { field, rule: 'min' };
  if (n > bounds.max) return { field, rule: 'max' };
  return n;
}

export const isFieldError = (v: unknown): v is FieldError =>
  typeof v === 'object' && v !== null && 'rule' in v && 'field' in v;

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The consent text a form shows, as what the action records: the localised text itself and a version id that
 * names the text's key, locale and SHA-256, so the exact wording shown can be proven later.
 */
export function consentText(ctx: ActionFormContext, key: string): { html: string; version: string } {
  const text = ctx.t(key);
  return {
    html: `<p class="consent">${ctx.escape(text)}</p>`,
    version: `${key}@${ctx.locale}:sha256:${sha256Hex(text)}`,
  };
}

/** A money amount in integer minor units formatted for the locale without passing through a float. */
export function formatMoney(locale: string, amountMinor: number, currency: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = amountMinor < 0;
  const text = String(Math.abs(Math.trunc(amountMinor))).padStart(digits + 1, '0');
  const decimal =
    digits === 0 ? text : `${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
  // Intl formats a decimal string exactly (ECMA-402 NumberFormat v3): no binary float on the way.
  return format.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
}

/** A submit button with a localised label. */
export const submitButton = (ctx: ActionFormContext, key: string): string =>
  `<button type="submit" class="button">${ctx.escape(ctx.t(key))}</button>`;
