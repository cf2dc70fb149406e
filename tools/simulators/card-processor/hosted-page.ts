/**
 * TEST DOUBLE — the simulated processor's hosted page (card fields, or sort code and account number). Plain HTML
 * that works without JavaScript; every value it echoes is escaped, and card data is never echoed back.
 */
export type HostedKind = 'card' | 'bank-account';

export interface HostedPageField {
  name: string;
  label: string;
  hint?: string;
  autocomplete: string;
  inputmode: 'numeric' | 'text';
  maxlength: number;
  /** Only non-card values are shown again after an error. */
  value?: string;
}

export interface HostedPageInput {
  kind: HostedKind;
  state: string;
  returnUrl: string;
  nonce: string;
  errors: { field: string; message: string }[];
  values: Record<string, string>;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CARD_FIELDS: HostedPageField[] = [
  {
    name: 'cardNumber',
    label: 'Card number',
    hint: '12 to 19 digits, spaces allowed',
    autocomplete: 'cc-number',
    inputmode: 'numeric',
    maxlength: 23,
  },
  {
    name: 'expiryMonth',
    label: 'Expiry month (MM)',
    autocomplete: 'cc-exp-month',
    inputmode: 'numeric',
    maxlength: 2,
  },
  {
    name: 'expiryYear',
    label: 'Expiry year (YY or YYYY)',
    autocomplete: 'cc-exp-year',
    inputmode: 'numeric',
    maxlength: 4,
  },
  {
    name: 'cvc',
    label: 'Security code (CVC)',
    hint: '3 or 4 digits',
    autocomplete: 'cc-csc',
    inputmode: 'numeric',
    maxlength: 4,
  },
];

const BANK_FIELDS: HostedPageField[] = [
  {
    name: 'sortCode',
    label: 'Sort code',
    hint: '6 digits, for example 40-47-84',
    autocomplete: 'off',
    inputmode: 'numeric',
    maxlength: 8,
  },
  {
    name: 'accountNumber',
    label: 'Account number',
    hint: '8 digits',
    autocomplete: 'off',
    inputmode: 'numeric',
    maxlength: 8,
  },
];

/** Fields whose values are shown again after an error (never the PAN, the CVC or the account number). */
const REFILLED = new Set(['expiryMonth', 'expiryYear', 'sortCode']);

export function hostedPage(input: HostedPageInput): string {
  const fields = input.kind === 'card' ? CARD_FIELDS : BANK_FIELDS;
  const errorOf = (name: string) => input.errors.find((e) => e.field === name);
  const summary =
    input.errors.length === 0
      ? ''
      : `<div class="summary" role="alert" tabindex="-1"><h2>There is a problem</h2><ul>${input.errors
          .map((e) => `<li><a href="#${escapeHtml(e.field)}">${escapeHtml(e.message)}</a></li>`)
          .join('')}</ul></div>`;
  const rows = fields
    .map((f) => {
      const error = errorOf(f.name);
      const described = [f.hint ? `${f.name}-hint` : '', error ? `${f.name}-error` : '']
        .filter(Boolean)
        .join(' ');
      const value = REFILLED.has(f.name) ? (input.values[f.name] ?? '') : '';
      return `<div class="field"><label for="${f.name}">${escapeHtml(f.label)}</label>${
        f.hint ? `<p class="hint" id="${f.name}-hint">${escapeHtml(f.hint)}</p>` : ''
      }${error ? `<p class="error" id="${f.name}-error">${escapeHtml(error.message)}</p>` : ''}<input id="${
        f.name
      }" name="${f.name}" type="text" inputmode="${f.inputmode}" autocomplete="${f.autocomplete}" maxlength="${
        f.maxlength
      }" required${described ? ` aria-describedby="${described}"` : ''}${error ? ' aria-invalid="true"' : ''} value="${escapeHtml(value)}"></div>`;
    })
    .join('');
  const title = input.kind === 'card' ? 'Enter your card details' : 'Enter your bank account details';
  return `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Simulated Card Processor</title>
<style nonce="${escapeHtml(input.nonce)}">body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:30rem;padding:1rem;color:#0b0c0c}
label{display:block;font-weight:600}input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:2px solid #0b0c0c}
.field{margin-bottom:1rem}.hint{color:#484949;margin:0}.error{color:#b00020;font-weight:600;margin:0}
.summary{border:4px solid #b00020;padding:.5rem 1rem;margin-bottom:1rem}button{font-size:1rem;padding:.6rem 1.2rem;background:#00703c;color:#fff;border:0}</style>
</head><body><main><h1>${escapeHtml(title)}</h1>
<p>This page belongs to the payment processor. Your details are sent to it only, never to the company that sent you here.</p>
${summary}<form method="post" action="/hosted/card" novalidate>
<input type="hidden" name="kind" value="${escapeHtml(input.kind)}"><input type="hidden" name="state" value="${escapeHtml(
    input.state,
  )}"><input type="hidden" name="return" value="${escapeHtml(input.returnUrl)}">
${rows}<button type="submit">Continue</button></form></main></body></html>`;
}

/** A page for a request that cannot be served (bad state or return URL): says what is wrong, links nowhere. */
export function problemPage(message: string, nonce: string): string {
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Cannot continue — Simulated Card Processor</title><style nonce="${escapeHtml(
    nonce,
  )}">body{font:16px/1.5 system-ui,sans-serif;margin:1rem}</style></head><body><main><h1>Cannot continue</h1><p>${escapeHtml(
    message,
  )}</p><p>Go back to the page that sent you here and start again.</p></main></body></html>`;
}
