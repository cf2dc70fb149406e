/**
 * payment.authorize: shows the amount the case carries (integer minor units, formatted for the locale), gets a
 * payment-method token from the processor's hosted card page → { paymentMethodToken, amountMinor, currency }.
 * The amount comes from the orchestrator's view of the case, never from the browser.
 */
import type { ActionFormContext, FieldError } from '../action-form';
import type { TokenDetails } from './card-processor.client';
import { formatMoney } from './form-kit';
import { HostedTokenForm } from './hosted-token-form';

export class PaymentAuthorizeForm extends HostedTokenForm {
  readonly action = 'payment.authorize';
  protected readonly kind = 'card' as const;
  protected readonly strings = 'payment';

  protected override introHtml(ctx: ActionFormContext): string {
    if (!ctx.amount) return `<p>${ctx.escape(ctx.t('payment.noAmount'))}</p>`;
    const amount = formatMoney(ctx.locale, ctx.amount.amountMinor, ctx.amount.currency);
    return `<p class="amount">${ctx.escape(ctx.t('payment.intro', { amount }))}</p>`;
  }

  protected summary(ctx: ActionFormContext, details: TokenDetails): string {
    if (details.kind !== 'card') return '';
    return ctx.t('card.summary', {
      brand: ctx.t(`card.brand.${details.brand}`),
      last4: details.last4,
      month: String(details.expiryMonth).padStart(2, '0'),
      year: String(details.expiryYear % 100).padStart(2, '0'),
    });
  }

  protected parameters(ctx: ActionFormContext, details: TokenDetails): Record<string, string> | FieldError[] {
    if (details.kind !== 'card') return [{ field: 'token', rule: 'token-unverified' }];
    const amount = ctx.amount;
    if (!amount || !Number.isSafeInteger(amount.amountMinor) || amount.amountMinor < 1)
      return [{ field: 'amount', rule: 'required' }];
    return {
      paymentMethodToken: details.token,
      amountMinor: String(amount.amountMinor),
      currency: amount.currency,
    };
  }
}
