/**
 * Quiet hours: whether a message may go out at an instant, or the first minute it may. With several zones (a phone
 * number's country that spans them) the instant must be inside the window in every one of them — never outside it
 * for any zone the recipient could be in. DST-correct through luxon: a deferral lands on the window's first local
 * minute, never earlier, and never drops the message.
 */
import { DateTime } from 'luxon';
import { type ParsedSendWindow, type SendWindow, parseSendWindow } from './send-window';

const MINUTE_MS = 60_000;

/** How far ahead a shared allowed minute is looked for before the zones are declared to have none. */
export const QUIET_HOURS_HORIZON_MS = 8 * 24 * 60 * MINUTE_MS;

export type QuietHoursDecision =
  | { kind: 'send-now' }
  /** `until`: the first instant (ms since epoch, on a whole minute) inside the window in every zone. */
  | { kind: 'defer'; until: number; reason: 'QUIET_HOURS' }
  /** The zones share no allowed minute within QUIET_HOURS_HORIZON_MS (they span more hours than the window is wide). */
  | { kind: 'no-common-window' };

export interface QuietHoursInput {
  /** The instant the message would go out (its due instant, or now when later), ms since epoch. */
  at: number;
  /** IANA zones the recipient may be in (from resolveTimeZones); at least one. */
  zones: readonly string[];
  window: SendWindow;
}

export function checkQuietHours(input: QuietHoursInput): QuietHoursDecision {
  const window = parseSendWindow(input.window);
  if (input.zones.length === 0) throw new RangeError('checkQuietHours needs at least one time zone');
  const horizon = input.at + QUIET_HOURS_HORIZON_MS;
  let t = input.at;
  while (t <= horizon) {
    // No instant before a failing zone's next window start is allowed in that zone: jumping to the latest of them
    // skips no instant allowed in all zones.
    let next = t;
    for (const zone of input.zones) {
      if (!isAllowedIn(t, zone, window)) next = Math.max(next, nextWindowStart(t, zone, window));
    }
    if (next === t)
      return t === input.at ? { kind: 'send-now' } : { kind: 'defer', until: t, reason: 'QUIET_HOURS' };
    t = next;
  }
  return { kind: 'no-common-window' };
}

function localMinute(t: number, zone: string): number {
  const local = DateTime.fromMillis(t, { zone });
  return local.hour * 60 + local.minute;
}

function isAllowedIn(t: number, zone: string, window: ParsedSendWindow): boolean {
  const minute = localMinute(t, zone);
  return minute >= window.startMinute && minute < window.endMinute;
}

/** The first instant after `t` (which is outside the window in `zone`) that is inside it. */
function nextWindowStart(t: number, zone: string, window: ParsedSendWindow): number {
  const local = DateTime.fromMillis(t, { zone });
  const day = local.hour * 60 + local.minute < window.startMinute ? local : local.plus({ days: 1 });
  let start = DateTime.fromObject(
    {
      year: day.year,
      month: day.month,
      day: day.day,
      hour: Math.floor(window.startMinute / 60),
      minute: window.startMinute % 60,
    },
    { zone },
  ).toMillis();
  // A start inside a DST gap is moved forward by the gap's length; the window really opens when the gap ends.
  while (start - MINUTE_MS > t && isAllowedIn(start - MINUTE_MS, zone, window)) start -= MINUTE_MS;
  return start > t ? start : (Math.floor(t / MINUTE_MS) + 1) * MINUTE_MS;
}
