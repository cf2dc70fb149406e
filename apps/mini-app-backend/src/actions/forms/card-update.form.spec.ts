import { CardProcessorClient } from './card-processor.client';
import { CardUpdateForm } from './card-update.form';
import { ActionFormUnavailableError } from './form-errors';
import { ProcessorState } from './processor-state';
import { formContext, scriptedHttp, type ScriptedAnswer } from './testing/form-context';

const KEY = 'k'.repeat(32);
const TOKEN = `tok_${'A'.repeat(24)}`;
const cardAnswer = (token = TOKEN, extra: Record<string, unknown> = {}): ScriptedAnswer => ({
  status: 200,
  body: JSON.stringify({
    token,
    kind: 'card',
    brand: 'visa',
    last4: '4242',
    expiryMonth: 12,
    expiryYear: 2029,
    ...extra,
  }),
});

function setup(answer: (url: string) => ScriptedAnswer | Error = () => cardAnswer()) {
  const { http, asked } = scriptedHttp(answer);
  const state = new ProcessorState(KEY);
  const form = new CardUpdateForm({
    processorUrl: 'http://127.0.0.1:8097',
    client: new CardProcessorClient({ url: 'unused', apiKey: 'unused' }, http),
    state,
  });
  return { form, state, asked };
}

const rules = [
  { field: 'cardToken', operator: 'present', value: true },
  { field: 'expiryMonth', operator: 'numberGreaterThanInclusive', value: 1 },
  { field: 'expiryMonth', operator: 'numberLessThanInclusive', value: 12 },
  { field: 'expiryYear', operator: 'numberGreaterThanInclusive', value: 2025 },
  { field: 'expiryYear', operator: 'numberLessThanInclusive', value: 2099 },
];

describe('card.update form', () => {
  it('links to the processor with a state bound to the session and the form path as return', async () => {
    const { form, state } = setup();
    const ctx = formContext({ eligible: { parameterRules: rules } });
    const html = await form.render(ctx);
    const href = /href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const link = new URL(href);
    expect(link.origin + link.pathname).toBe('http://127.0.0.1:8097/hosted/card');
    expect(link.searchParams.get('state')).toBe(state.of(ctx, 'card'));
    expect(link.searchParams.get('return')).toBe('http://127.0.0.1:3004/s/actions/update-card?via=processor');
    expect(link.searchParams.get('kind')).toBeNull();
    expect(html).not.toContain('<form');
  });

  it('on the way back shows the card the token stands for and a confirm form carrying CSRF, state and token', async () => {
    const { form, state, asked } = setup();
    const ctx = formContext();
    const html = await form.render(ctx, {
      query: { via: 'processor', state: state.of(ctx, 'card'), token: TOKEN },
    });
    expect(html).toContain('Visa card ending 4242, exp 12/29');
    expect(html).toContain('name="_csrf"');
    expect(html).toContain(`name="token" value="${TOKEN}"`);
    expect(html).toContain('action="/s/actions/update-card"');
    expect(asked).toEqual([{ url: `/v1/tokens/${TOKEN}`, authorization: 'Bearer test-key' }]);
  });

  it('escapes what comes back in the query and refuses it naming the field', async () => {
    const { form, state } = setup();
    const ctx = formContext();
    const html = await form.render(ctx, {
      query: { state: state.of(ctx, 'card'), token: '"><script>alert(1)</script>' },
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('Card details: this is not in the expected format');
    expect(html).toContain('role="alert"');
  });

  it('parses a verified token into { cardToken, expiryMonth, expiryYear }', async () => {
    const { form, state } = setup();
    const ctx = formContext({ eligible: { parameterRules: rules } });
    const result = await form.parse(ctx, { state: state.of(ctx, 'card'), token: TOKEN }, []);
    expect(result).toEqual({
      ok: true,
      parameters: { cardToken: TOKEN, expiryMonth: '12', expiryYear: '2029' },
      consentTextVersion: expect.stringMatching(/^card\.consent@en-GB:sha256:[0-9a-f]{64}$/),
    });
  });

  it('refuses a token obtained in another session (state-mismatch) without asking the processor', async () => {
    const { form, state, asked } = setup();
    const other = formContext({ sessionRef: 'session-other' });
    const result = await form.parse(formContext(), { state: state.of(other, 'card'), token: TOKEN }, []);
    expect(result).toEqual({ ok: false, errors: [{ field: 'state', rule: 'state-mismatch' }] });
    expect(asked).toHaveLength(0);
  });

  it('refuses a state made for another action or kind', async () => {
    const { form, state } = setup();
    const ctx = formContext();
    const forPayment = state.of(formContext({ eligible: { actionId: 'pay-now' } }), 'card');
    expect(await form.parse(ctx, { state: forPayment, token: TOKEN }, [])).toMatchObject({
      ok: false,
      errors: [{ field: 'state', rule: 'state-mismatch' }],
    });
    expect(await form.parse(ctx, { state: state.of(ctx, 'bank-account'), token: TOKEN }, [])).toMatchObject({
      ok: false,
      errors: [{ field: 'state', rule: 'state-mismatch' }],
    });
  });

  it.each([
    ['echoes another token', cardAnswer(`tok_${'B'.repeat(24)}`)],
    ['answers a body past 2 KiB', cardAnswer(TOKEN, { padding: 'x'.repeat(3000) })],
    [
      'answers a bank account for a card',
      { status: 200, body: JSON.stringify({ token: TOKEN, kind: 'bank-account', last4: '1234' }) },
    ],
    ['answers a malformed last4', cardAnswer(TOKEN, { last4: '42424242' })],
    ['answers something that is not JSON', { status: 200, body: '<html>' }],
  ])('refuses the processor’s answer when it %s (token-unverified)', async (_what, answer) => {
    const { form, state } = setup(() => answer);
    const ctx = formContext();
    expect(await form.parse(ctx, { state: state.of(ctx, 'card'), token: TOKEN }, [])).toEqual({
      ok: false,
      errors: [{ field: 'token', rule: 'token-unverified' }],
    });
  });

  it('names an unknown token, and throws ActionFormUnavailableError when the processor is down', async () => {
    const ctx = formContext();
    const unknown = setup(() => ({ status: 404, body: '{}' }));
    expect(await unknown.form.parse(ctx, { state: unknown.state.of(ctx, 'card'), token: TOKEN }, [])).toEqual(
      {
        ok: false,
        errors: [{ field: 'token', rule: 'token-unknown' }],
      },
    );
    const down = setup(() => ({ status: 503, body: '' }));
    await expect(
      down.form.parse(ctx, { state: down.state.of(ctx, 'card'), token: TOKEN }, []),
    ).rejects.toBeInstanceOf(ActionFormUnavailableError);
    const timeout = setup(() =>
      Object.assign(new Error('timeout of 3000ms exceeded'), { isAxiosError: true }),
    );
    await expect(
      timeout.form.parse(ctx, { state: timeout.state.of(ctx, 'card'), token: TOKEN }, []),
    ).rejects.toBeInstanceOf(ActionFormUnavailableError);
  });

  it('honours the workflow’s expiry bounds and refuses an expired card, naming the field and rule', async () => {
    const { form, state } = setup(() => cardAnswer(TOKEN, { expiryYear: 2029 }));
    const ctx = formContext({
      eligible: {
        parameterRules: [{ field: 'expiryYear', operator: 'numberLessThanInclusive', value: 2028 }],
      },
    });
    expect(await form.parse(ctx, { state: state.of(ctx, 'card'), token: TOKEN }, [])).toEqual({
      ok: false,
      errors: [{ field: 'expiryYear', rule: 'max' }],
    });
    const expired = setup(() => cardAnswer(TOKEN, { expiryYear: 2026, expiryMonth: 2 }));
    expect(await expired.form.parse(ctx, { state: expired.state.of(ctx, 'card'), token: TOKEN }, [])).toEqual(
      {
        ok: false,
        errors: [{ field: 'expiryYear', rule: 'expired' }],
      },
    );
  });
});
