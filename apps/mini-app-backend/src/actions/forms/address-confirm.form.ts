/**
 * address.confirm: the customer's current postal address → { line1, line2?, city, postalCode, country }. Lengths
 * and characters are bounded (letters of any script, digits, spaces and . , ' - / # & ( )); the country is an
 * ISO 3166-1 alpha-2 code from a select whose names are localised with Intl.DisplayNames; a UK postcode must have
 * the UK format.
 */
import { getAllCountries } from 'countries-and-timezones';
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
  formOpen,
  inputId,
  renderField,
  submitButton,
  type FieldSpec,
} from './form-kit';

/** ISO 3166-1 alpha-2 codes (the library's list also has Kosovo's user-assigned XK, which is not one). */
export const COUNTRY_CODES: readonly string[] = Object.keys(getAllCountries())
  .filter((code) => /^[A-Z]{2}$/.test(code) && code !== 'XK')
  .sort();

const ADDRESS_TEXT = /^[\p{L}\p{M}\p{N} .,'’\-/#&()]+$/u;
const POSTAL_CODE = /^[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]$/;
const UK_POSTCODE = /^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$/;

interface TextRule {
  name: string;
  required: boolean;
  min: number;
  max: number;
}
const TEXT_RULES: TextRule[] = [
  { name: 'line1', required: true, min: 2, max: 70 },
  { name: 'line2', required: false, min: 1, max: 70 },
  { name: 'city', required: true, min: 2, max: 50 },
];

/** Trimmed, NFC, inner whitespace collapsed. */
const normalise = (raw: string | undefined): string =>
  (raw ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();

export class AddressConfirmForm implements ActionForm {
  readonly action = 'address.confirm';
  /**
   * The country select's options per locale, localised and sorted once: they depend on the locale alone, and
   * building them (≈250 names through Intl.DisplayNames, then a localeCompare sort) is most of the form's cost.
   * The locales are the pages' own (the session's resolved one), a handful.
   */
  private readonly countryOptions = new Map<string, ReadonlyArray<{ value: string; label: string }>>();

  private countries(locale: string): ReadonlyArray<{ value: string; label: string }> {
    let options = this.countryOptions.get(locale);
    if (!options) {
      const names = new Intl.DisplayNames([locale, 'en'], { type: 'region' });
      options = COUNTRY_CODES.map((code) => ({ value: code, label: names.of(code) ?? code })).sort((a, b) =>
        a.label.localeCompare(b.label, locale),
      );
      if (this.countryOptions.size < 64) this.countryOptions.set(locale, options);
    }
    return options;
  }

  private fields(ctx: ActionFormContext): FieldSpec[] {
    const options = this.countries(ctx.locale);
    return [
      {
        name: 'line1',
        label: 'address.line1.label',
        type: 'text',
        required: true,
        autocomplete: 'address-line1',
        maxlength: 70,
        min: '2',
        max: '70',
      },
      {
        name: 'line2',
        label: 'address.line2.label',
        type: 'text',
        required: false,
        autocomplete: 'address-line2',
        maxlength: 70,
        min: '1',
        max: '70',
      },
      {
        name: 'city',
        label: 'address.city.label',
        type: 'text',
        required: true,
        autocomplete: 'address-level2',
        maxlength: 50,
        min: '2',
        max: '50',
      },
      {
        name: 'postalCode',
        label: 'address.postalCode.label',
        hint: 'address.postalCode.hint',
        type: 'text',
        required: true,
        autocomplete: 'postal-code',
        maxlength: 10,
        min: '2',
        max: '10',
      },
      {
        name: 'country',
        label: 'address.country.label',
        type: 'select',
        required: true,
        autocomplete: 'country',
        options,
      },
    ];
  }

  render(ctx: ActionFormContext, state: RenderState = {}): string {
    const e = ctx.escape;
    const fields = this.fields(ctx);
    const titleId = inputId(ctx, 'title');
    return `<section class="action-form" aria-labelledby="${e(titleId)}"><h2 id="${e(titleId)}">${e(
      ctx.t('address.title'),
    )}</h2><p>${e(ctx.t('address.intro'))}</p>${errorSummary(ctx, fields, state.errors)}${formOpen(ctx)}${fields
      .map((f) => renderField(ctx, f, state))
      .join(
        '',
      )}${consentText(ctx, 'address.consent').html}${submitButton(ctx, 'address.submit')}</form></section>`;
  }

  parse(ctx: ActionFormContext, body: Record<string, string>, files: UploadedFile[]): Promise<ParseResult> {
    const errors: FieldError[] = [];
    const parameters: Record<string, string> = {};
    if (files.length > 0) errors.push({ field: 'document', rule: 'not-allowed' });
    for (const rule of TEXT_RULES) {
      const value = normalise(body[rule.name]);
      if (value === '') {
        if (rule.required) errors.push({ field: rule.name, rule: 'required' });
        continue;
      }
      if (value.length > rule.max) errors.push({ field: rule.name, rule: 'too-long' });
      else if (value.length < rule.min) errors.push({ field: rule.name, rule: 'too-short' });
      else if (!ADDRESS_TEXT.test(value)) errors.push({ field: rule.name, rule: 'characters' });
      else parameters[rule.name] = value;
    }
    const country = normalise(body['country']).toUpperCase();
    if (country === '') errors.push({ field: 'country', rule: 'required' });
    else if (!COUNTRY_CODES.includes(country)) errors.push({ field: 'country', rule: 'not-allowed' });
    else parameters['country'] = country;
    let postalCode = normalise(body['postalCode']).toUpperCase();
    // "SW1A1AA" is how many people type a UK postcode: the inward code is always the last three characters.
    if (country === 'GB' && /^[A-Z0-9]{5,7}$/.test(postalCode))
      postalCode = `${postalCode.slice(0, -3)} ${postalCode.slice(-3)}`;
    if (postalCode === '') errors.push({ field: 'postalCode', rule: 'required' });
    else if (postalCode.length > 10) errors.push({ field: 'postalCode', rule: 'too-long' });
    else if (!POSTAL_CODE.test(postalCode)) errors.push({ field: 'postalCode', rule: 'characters' });
    else if (country === 'GB' && !UK_POSTCODE.test(postalCode))
      errors.push({ field: 'postalCode', rule: 'format' });
    else parameters['postalCode'] = postalCode;
    if (errors.length > 0) return Promise.resolve({ ok: false, errors });
    return Promise.resolve({
      ok: true,
      parameters,
      consentTextVersion: consentText(ctx, 'address.consent').version,
    });
  }
}
