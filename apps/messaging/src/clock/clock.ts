/**
 * The service's clock: every policy decision (quiet hours, frequency caps, the WhatsApp window, due times, the bound on
 * an unknown outcome) reads the time from it. Production binds the system clock; a test binds one it moves.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const CLOCK = Symbol('messaging.clock');

export const systemClock: Clock = { now: () => Date.now() };
