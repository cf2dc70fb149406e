import { AddressConfirmForm, COUNTRY_CODES } from './address-confirm.form';
import { PlanChooseForm } from './plan-choose.form';
import { formContext } from './testing/form-context';

describe('plan.choose form', () => {
  const ctx = formContext({
    workflowId: 'payment-plan-setup',
    postPath: '/s/actions/choose-plan',
    amount: { amountMinor: 100000, currency: 'GBP' },
    eligible: {
      actionId: 'choose-plan',
      action: 'plan.choose',
      parameterRules: [
        { field: 'installments', operator: 'numberGreaterThanInclusive', value: 1 },
        { field: 'installments', operator: 'numberLessThanInclusive', value: 6 },
        { field: 'firstDueDate', operator: 'present', value: true },
      ],
    },
  });
  const form = new PlanChooseForm();

  it('offers exactly the installments the workflow allows, each rounded up, and dates within 30 days', () => {
    const html = form.render(ctx);
    const options = [...html.matchAll(/<option value="(\d+)">([^<]*)<\/option>/g)].map((m) => [m[1], m[2]]);
    expect(options.map((o) => o[0])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(options[2]![1]).toBe('3 × £333.34');
    expect(html).toContain('min="2026-03-16" max="2026-04-14"');
    expect(html).toMatch(
      /<label for="choose-plan-installments">[^<]*<\/label><p class="hint" id="choose-plan-installments-hint">/,
    );
    expect(html).toContain('aria-describedby="choose-plan-installments-hint"');
  });

  it('parses → { installments, firstDueDate }', async () => {
    expect(await form.parse(ctx, { installments: '3', firstDueDate: '2026-04-01' }, [])).toMatchObject({
      ok: true,
      parameters: { installments: '3', firstDueDate: '2026-04-01' },
    });
  });

  it.each([
    [
      { installments: '7', firstDueDate: '2026-04-01' },
      { field: 'installments', rule: 'max' },
    ],
    [
      { installments: '0', firstDueDate: '2026-04-01' },
      { field: 'installments', rule: 'min' },
    ],
    [
      { installments: '2.5', firstDueDate: '2026-04-01' },
      { field: 'installments', rule: 'format' },
    ],
    [{ firstDueDate: '2026-04-01' }, { field: 'installments', rule: 'required' }],
    [
      { installments: '2', firstDueDate: '2026-03-15' },
      { field: 'firstDueDate', rule: 'min' },
    ],
    [
      { installments: '2', firstDueDate: '2026-04-15' },
      { field: 'firstDueDate', rule: 'max' },
    ],
    [
      { installments: '2', firstDueDate: '2026-02-30' },
      { field: 'firstDueDate', rule: 'format' },
    ],
    [
      { installments: '2', firstDueDate: '1/4/2026' },
      { field: 'firstDueDate', rule: 'format' },
    ],
  ])('names the field and rule for %j', async (body, error) => {
    expect(await form.parse(ctx, body, [])).toEqual({ ok: false, errors: [error] });
  });

  it('shows the error next to its field, linked by aria-describedby', () => {
    const html = form.render(ctx, {
      errors: [{ field: 'installments', rule: 'max' }],
      values: { installments: '9' },
    });
    expect(html).toContain(
      '<p class="error" id="choose-plan-installments-error">Number of monthly payments: must be 6 or earlier/lower</p>',
    );
    expect(html).toContain('aria-describedby="choose-plan-installments-hint choose-plan-installments-error"');
    expect(html).toContain('aria-invalid="true"');
  });
});

describe('address.confirm form', () => {
  const ctx = formContext({
    workflowId: 'address-update',
    postPath: '/s/actions/confirm-address',
    amount: null,
    eligible: { actionId: 'confirm-address', action: 'address.confirm' },
  });
  const form = new AddressConfirmForm();

  it('offers ISO 3166-1 alpha-2 countries with localised names', () => {
    expect(COUNTRY_CODES).toContain('GB');
    expect(COUNTRY_CODES).not.toContain('XK');
    expect(COUNTRY_CODES.length).toBeGreaterThan(240);
    const html = form.render(ctx);
    expect(html).toContain('<option value="GB">United Kingdom</option>');
    expect(html).toContain('<label for="confirm-address-line1">Address line 1</label>');
    expect(html).toContain('autocomplete="postal-code"');
  });

  it('parses and normalises → { line1, line2, city, postalCode, country }', async () => {
    const result = await form.parse(
      ctx,
      { line1: ' 10  Downing Street ', line2: '', city: 'London', postalCode: 'sw1a2aa', country: 'gb' },
      [],
    );
    expect(result).toMatchObject({
      ok: true,
      parameters: { line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' },
    });
    expect(result.ok && 'line2' in result.parameters).toBe(false);
  });

  it('names every field and rule', async () => {
    const result = await form.parse(
      ctx,
      { line1: 'x'.repeat(71), line2: '<script>', city: '', postalCode: 'ABC', country: 'ZZ' },
      [],
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'line1', rule: 'too-long' },
        { field: 'line2', rule: 'characters' },
        { field: 'city', rule: 'required' },
        { field: 'country', rule: 'not-allowed' },
      ],
    });
    expect(
      await form.parse(ctx, { line1: '1 High St', city: 'Leeds', postalCode: 'ABC', country: 'GB' }, []),
    ).toEqual({
      ok: false,
      errors: [{ field: 'postalCode', rule: 'format' }],
    });
  });

  it('escapes what the customer typed when showing it again', () => {
    const html = form.render(ctx, {
      values: { line1: '"><script>alert(1)</script>' },
      errors: [{ field: 'line1', rule: 'characters' }],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('<a href="#confirm-address-line1">Address line 1: use letters');
  });
});
