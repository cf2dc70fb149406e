import { BankTransferForm } from './bank-transfer.form';
import { CardProcessorClient } from './card-processor.client';
import { formatMoney } from './form-kit';
import { PaymentAuthorizeForm } from './payment-authorize.form';
import { ProcessorState } from './processor-state';
import { formContext, scriptedHttp, type ScriptedAnswer } from './testing/form-context';

const CARD = `tok_${'C'.repeat(24)}`;
const BANK = `btok_${'D'.repeat(24)}`;
const state = new ProcessorState('s'.repeat(40));

function deps(answer: ScriptedAnswer) {
  const { http } = scriptedHttp(() => answer);
  return {
    processorUrl: 'http://127.0.0.1:8097',
    client: new CardProcessorClient({ url: 'unused', apiKey: 'unused' }, http),
    state,
  };
}
const cardAnswer: ScriptedAnswer = {
  status: 200,
  body: JSON.stringify({
    token: CARD,
    kind: 'card',
    brand: 'mastercard',
    last4: '4444',
    expiryMonth: 3,
    expiryYear: 2030,
  }),
};
const bankAnswer: ScriptedAnswer = {
  status: 200,
  body: JSON.stringify({ token: BANK, kind: 'bank-account', last4: '5678' }),
};

describe('formatMoney', () => {
  it('formats integer minor units per locale without floats', () => {
    expect(formatMoney('en-GB', 123456, 'GBP')).toBe('£1,234.56');
    expect(formatMoney('en-GB', 5, 'GBP')).toBe('£0.05');
    expect(formatMoney('de-DE', 123456, 'EUR')).toBe('1.234,56\u00a0€');
    expect(formatMoney('en-GB', 1500, 'JPY')).toBe('JP¥1,500');
    // A value a float would round wrongly (0.1 + 0.2 style): exact.
    expect(formatMoney('en-GB', 900719925474099, 'GBP')).toBe('£9,007,199,254,740.99');
  });
});

describe('payment.authorize form', () => {
  const ctx = formContext({
    postPath: '/s/actions/pay-now',
    eligible: { actionId: 'pay-now', action: 'payment.authorize' },
  });

  it('shows the case amount and links to the hosted card page', async () => {
    const html = await new PaymentAuthorizeForm(deps(cardAnswer)).render(ctx);
    expect(html).toContain('The amount to pay is £1,234.56.');
    expect(html).toContain('href="http://127.0.0.1:8097/hosted/card?state=');
  });

  it('parses → { paymentMethodToken, amountMinor, currency } from the case, not the browser', async () => {
    const result = await new PaymentAuthorizeForm(deps(cardAnswer)).parse(
      ctx,
      { state: state.of(ctx, 'card'), token: CARD, amountMinor: '1' },
      [],
    );
    expect(result).toMatchObject({
      ok: true,
      parameters: { paymentMethodToken: CARD, amountMinor: '123456', currency: 'GBP' },
    });
  });

  it('refuses when the case carries no amount, naming amount', async () => {
    const noAmount = { ...ctx, amount: null };
    expect(
      await new PaymentAuthorizeForm(deps(cardAnswer)).parse(
        noAmount,
        { state: state.of(ctx, 'card'), token: CARD },
        [],
      ),
    ).toEqual({ ok: false, errors: [{ field: 'amount', rule: 'required' }] });
  });
});

describe('payment.bank_transfer form', () => {
  const ctx = formContext({
    postPath: '/s/actions/bank-transfer',
    eligible: { actionId: 'bank-transfer', action: 'payment.bank_transfer' },
  });

  it('links to the processor’s bank-account page', async () => {
    const html = await new BankTransferForm(deps(bankAnswer)).render(ctx);
    const href = /href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    expect(new URL(href).searchParams.get('kind')).toBe('bank-account');
    expect(new URL(href).searchParams.get('state')).toBe(state.of(ctx, 'bank-account'));
  });

  it('shows the account’s last four digits on return and parses → { paymentMethodToken }', async () => {
    const form = new BankTransferForm(deps(bankAnswer));
    const html = await form.render(ctx, { query: { state: state.of(ctx, 'bank-account'), token: BANK } });
    expect(html).toContain('Bank account ending 5678');
    expect(await form.parse(ctx, { state: state.of(ctx, 'bank-account'), token: BANK }, [])).toMatchObject({
      ok: true,
      parameters: { paymentMethodToken: BANK },
    });
  });

  it('refuses a card token where a bank-account token is due (format)', async () => {
    const form = new BankTransferForm(deps(cardAnswer));
    expect(await form.parse(ctx, { state: state.of(ctx, 'bank-account'), token: CARD }, [])).toEqual({
      ok: false,
      errors: [{ field: 'token', rule: 'format' }],
    });
  });
});
