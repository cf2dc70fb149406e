/**
 * card.update: the new card is typed on the processor's hosted page; Closeout only ever sees its token, brand,
 * last four digits and expiry → { cardToken, expiryMonth, expiryYear }, within the workflow's bounds.
 */
import type { ActionFormContext, FieldError } from '../action-form';
import type { TokenDetails } from './card-processor.client';
import { numericBounds } from './form-kit';
import { HostedTokenForm } from './hosted-token-form';

export class CardUpdateForm extends HostedTokenForm {
  readonly action = 'card.update';
  protected readonly kind = 'card' as const;
  protected readonly strings = 'card';

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
    const errors: FieldError[] = [];
    const month = numericBounds(ctx, 'expiryMonth', { min: 1, max: 12 });
    const year = numericBounds(ctx, 'expiryYear', { min: 2000, max: 2099 });
    if (details.expiryMonth < month.min) errors.push({ field: 'expiryMonth', rule: 'min' });
    if (details.expiryMonth > month.max) errors.push({ field: 'expiryMonth', rule: 'max' });
    if (details.expiryYear < year.min) errors.push({ field: 'expiryYear', rule: 'min' });
    if (details.expiryYear > year.max) errors.push({ field: 'expiryYear', rule: 'max' });
    const current = ctx.now.getUTCFullYear() * 12 + ctx.now.getUTCMonth();
    if (details.expiryYear * 12 + details.expiryMonth - 1 < current)
      errors.push({ field: 'expiryYear', rule: 'expired' });
    if (errors.length > 0) return errors;
    return {
      cardToken: details.token,
      expiryMonth: String(details.expiryMonth),
      expiryYear: String(details.expiryYear),
    };
  }
}
