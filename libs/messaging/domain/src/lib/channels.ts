import type { Channel } from '@closeout/contracts';

export type { Channel };

/** Every channel the messaging service speaks, in the contracts' order. */
export const CHANNELS: readonly Channel[] = ['SMS', 'EMAIL', 'WHATSAPP'];

/** Channels that reach a phone number (the others reach an e-mail address). */
export function isPhoneChannel(channel: Channel): boolean {
  return channel === 'SMS' || channel === 'WHATSAPP';
}
