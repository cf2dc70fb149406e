/**
 * Channel order and fallback: the first channel of the outreach's preferred order that has neither failed
 * permanently nor been suppressed, or none.
 */
import type { Channel } from '../channels';
import { CHANNELS } from '../channels';
import { MessagingPolicyError } from '../errors';

export type NextChannel = { kind: 'channel'; channel: Channel } | { kind: 'none' };

/** Validates a preferred order: at least one channel, each known, none twice. A refusal names `<field>[i]`. */
export function validateChannelOrder(
  order: readonly string[],
  field = 'preferredChannels',
): asserts order is readonly Channel[] {
  if (order.length === 0)
    throw new MessagingPolicyError('INVALID_CHANNEL_ORDER', field, 'must name at least one channel');
  order.forEach((channel, i) => {
    if (!(CHANNELS as readonly string[]).includes(channel))
      throw new MessagingPolicyError(
        'INVALID_CHANNEL_ORDER',
        `${field}[${i}]`,
        `must be one of ${CHANNELS.join(', ')}`,
      );
    if (order.indexOf(channel) !== i)
      throw new MessagingPolicyError('INVALID_CHANNEL_ORDER', `${field}[${i}]`, 'must not repeat a channel');
  });
}

export function nextChannel(input: {
  preferred: readonly Channel[];
  failedPermanently?: readonly Channel[];
  suppressed?: readonly Channel[];
}): NextChannel {
  const unavailable = new Set([...(input.failedPermanently ?? []), ...(input.suppressed ?? [])]);
  const channel = input.preferred.find((c) => !unavailable.has(c));
  return channel ? { kind: 'channel', channel } : { kind: 'none' };
}
