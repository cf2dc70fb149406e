/**
 * payment.bank_transfer: sort code and account number are typed on the processor's hosted page
 * (`kind=bank-account`); Closeout sees a `btok_…` token and the account's last four digits → { paymentMethodToken }.
 */
import type { ActionFormContext, FieldError } from '../action-form';
import type { TokenDetails } from './card-processor.client';
import { formatMoney } from './form-kit';
import { HostedTokenForm } from './hosted-token-form';

export class BankTransferForm extends HostedTokenForm {
  readonly action = 'payment.bank_transfer';
  protected readonly kind = 'bank-account' as const;
  protected readonly strings = 'bankTransfer';

  protected override introHtml(ctx: ActionFormContext): string {
    if (!ctx.amount) return `<p>${ctx.escape(ctx.t('bankTransfer.intro.noAmount'))}</p>`;
    const amount = formatMoney(ctx.locale, ctx.amount.amountMinor, ctx.amount.currency);
    return `<p class="amount">${ctx.escape(ctx.t('bankTransfer.intro', { amount }))}</p>`;
  }

  protected summary(ctx: ActionFormContext, details: TokenDetails): string {
    return ctx.t('bankTransfer.summary', { last4: details.last4 });
  }

  protected parameters(
    _ctx: ActionFormContext,
    details: TokenDetails,
  ): Record<string, string> | FieldError[] {
    if (details.kind !== 'bank-account') return [{ field: 'token', rule: 'token-unverified' }];
    return { paymentMethodToken: details.token };
  }
}
