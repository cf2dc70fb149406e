/**
 * The `state` the card processor carries to its hosted page and back: an HMAC of the mini-app session, the action
 * and the token kind, so a token obtained in one session (or for another action) is refused in another.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ActionFormContext } from '../action-form';
import type { TokenKind } from './card-processor.client';

export class ProcessorState {
  constructor(private readonly key: string) {
    if (Buffer.byteLength(key) < 32) throw new Error('processor state key: must be at least 32 bytes');
  }

  /** 43 base64url characters: within the processor's 128 and its character set. */
  of(ctx: Pick<ActionFormContext, 'sessionRef' | 'eligible'>, kind: TokenKind): string {
    return createHmac('sha256', this.key)
      .update(`closeout.processor-state.v1\n${ctx.sessionRef}\n${ctx.eligible.actionId}\n${kind}`)
      .digest('base64url');
  }

  matches(
    ctx: Pick<ActionFormContext, 'sessionRef' | 'eligible'>,
    kind: TokenKind,
    given: string | undefined,
  ): boolean {
    const expected = Buffer.from(this.of(ctx, kind));
    const actual = Buffer.from(given ?? '');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
