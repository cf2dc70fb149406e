/**
 * The simulated customers' time zones, chosen from the clock: messaging sends only between 08:00 and 21:00 in the
 * customer's zone, so most customers live where it is well inside that window now, and a few where it is night
 * (their messages are deferred by quiet hours to the next 08:00, after the run).
 */

/** Zones across the world's offsets, so that at any instant some are in daytime and some at night. */
const CANDIDATES = [
  'Europe/London',
  'Europe/Dublin',
  'Europe/Berlin',
  'Europe/Athens',
  'Asia/Dubai',
  'Asia/Karachi',
  'Asia/Kolkata',
  'Asia/Dhaka',
  'Asia/Bangkok',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'Pacific/Honolulu',
  'America/Anchorage',
  'America/Los_Angeles',
  'America/Denver',
  'America/Chicago',
  'America/New_York',
  'America/Sao_Paulo',
  'Atlantic/Azores',
];

/** Minutes past local midnight in `zone` at `at`. */
export function localMinutes(zone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? '0');
  return get('hour') * 60 + get('minute');
}

export interface ZoneChoice {
  /** Zones where the next `marginMinutes` stay inside 08:00–21:00 (with the same margin after 08:00). */
  daytime: string[];
  /** Zones where it is night now and stays night for the next `marginMinutes`: outside 08:00–21:00. */
  night: string[];
}

/**
 * The zones that are safely in daytime and safely at night at `at`, with `marginMinutes` (default 60) on either
 * side of the 08:00–21:00 window so that a run of several minutes does not cross it.
 */
export function zonesAt(at: number, marginMinutes = 60): ZoneChoice {
  const start = 8 * 60;
  const end = 21 * 60;
  const daytime: string[] = [];
  const night: string[] = [];
  for (const zone of CANDIDATES) {
    const m = localMinutes(zone, at);
    if (m >= start + marginMinutes && m < end - marginMinutes) daytime.push(zone);
    else if (m >= end + marginMinutes || m < start - marginMinutes) night.push(zone);
  }
  // Never without a daytime zone: with no margin one always is (the candidates span every offset).
  if (daytime.length === 0 && marginMinutes > 0) return { ...zonesAt(at, 0), night };
  return { daytime, night };
}

/** A plausible locale for a zone (the templates are English; a locale falls back to its language). */
export function localeOf(zone: string): string {
  if (zone.startsWith('America/') || zone === 'Pacific/Honolulu') return 'en-US';
  if (zone === 'Europe/Dublin') return 'en-IE';
  if (zone.startsWith('Australia/')) return 'en-AU';
  if (zone === 'Pacific/Auckland') return 'en-NZ';
  if (zone === 'Asia/Kolkata') return 'en-IN';
  return 'en-GB';
}
