import fc from 'fast-check';
import { DateTime } from 'luxon';
import { MessagingPolicyError } from '../errors';
import { checkQuietHours } from './quiet-hours';
import { parseSendWindow } from './send-window';
import { resolveTimeZones, timeZonesOfCountry } from './time-zone';

const WINDOW = { start: '08:00', end: '21:00' };
const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseSendWindow', () => {
  it('accepts 08:00–21:00 and anything inside it', () => {
    expect(parseSendWindow(WINDOW)).toEqual({ startMinute: 480, endMinute: 1260 });
    expect(parseSendWindow({ start: '09:30', end: '17:00' })).toEqual({ startMinute: 570, endMinute: 1020 });
  });

  it.each([
    [{ start: '07:59', end: '21:00' }, 'allowedWindow.start', /must not be before 08:00/],
    [{ start: '08:00', end: '21:01' }, 'allowedWindow.end', /must not be after 21:00/],
    [{ start: '08:00', end: '23:00' }, 'allowedWindow.end', /widest allowed window is 08:00–21:00/],
    [{ start: '8:00', end: '21:00' }, 'allowedWindow.start', /HH:mm/],
    [{ start: '08:00', end: '24:00' }, 'allowedWindow.end', /HH:mm/],
    [{ start: '12:00', end: '12:00' }, 'allowedWindow.end', /after the start/],
    [{ start: '20:00', end: '09:00' }, 'allowedWindow.end', /after the start/],
  ])('refuses %j naming %s', (window, field, rule) => {
    let error: unknown;
    try {
      parseSendWindow(window);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MessagingPolicyError);
    expect(error).toMatchObject({ code: 'INVALID_SEND_WINDOW', field });
    expect((error as MessagingPolicyError).rule).toMatch(rule);
  });

  it('names the configured field when given one', () => {
    expect(() =>
      parseSendWindow({ start: '06:00', end: '20:00' }, 'workflows.collections.allowedWindow'),
    ).toThrow(/^workflows\.collections\.allowedWindow\.start: must not be before 08:00/);
  });
});

describe('checkQuietHours in one zone', () => {
  const london = (at: string) => checkQuietHours({ at: utc(at), zones: ['Europe/London'], window: WINDOW });

  it('sends inside the window, up to its last minute', () => {
    expect(london('2025-01-15T12:00:00Z')).toEqual({ kind: 'send-now' });
    expect(london('2025-01-15T08:00:00Z')).toEqual({ kind: 'send-now' });
    expect(london('2025-01-15T20:59:59Z')).toEqual({ kind: 'send-now' });
  });

  it('defers before the window to its start the same day', () => {
    expect(london('2025-01-15T07:59:30Z')).toEqual({
      kind: 'defer',
      until: utc('2025-01-15T08:00:00Z'),
      reason: 'QUIET_HOURS',
    });
  });

  it('defers from the window end to the next morning', () => {
    expect(london('2025-01-15T21:00:00Z')).toEqual({
      kind: 'defer',
      until: utc('2025-01-16T08:00:00Z'),
      reason: 'QUIET_HOURS',
    });
  });

  it('lands on 08:00 BST the morning the clocks go forward', () => {
    // 2025-03-30 01:00 UTC: London goes from GMT to BST; 08:00 local is 07:00 UTC.
    expect(london('2025-03-29T22:00:00Z')).toMatchObject({
      kind: 'defer',
      until: utc('2025-03-30T07:00:00Z'),
    });
  });

  it('lands on 08:00 GMT the morning the clocks go back', () => {
    // 21:30 BST on 25 October is 20:30 UTC; 08:00 GMT on the 26th is 08:00 UTC.
    expect(london('2025-10-25T20:30:00Z')).toMatchObject({
      kind: 'defer',
      until: utc('2025-10-26T08:00:00Z'),
    });
  });

  it('passes over a local day that does not exist', () => {
    // Samoa skipped 30 December 2011: from 21:30 on the 29th (UTC-10) the next 08:00 is on the 31st (UTC+14).
    const decision = checkQuietHours({
      at: utc('2011-12-30T07:30:00Z'),
      zones: ['Pacific/Apia'],
      window: WINDOW,
    });
    expect(decision).toEqual({ kind: 'defer', until: utc('2011-12-30T18:00:00Z'), reason: 'QUIET_HOURS' });
  });

  it('uses the recipient zone, not UTC', () => {
    // 05:00 UTC is 01:00 in New York (EDT): defer to 08:00 EDT = 12:00 UTC.
    const decision = checkQuietHours({
      at: utc('2025-07-01T05:00:00Z'),
      zones: ['America/New_York'],
      window: WINDOW,
    });
    expect(decision).toEqual({ kind: 'defer', until: utc('2025-07-01T12:00:00Z'), reason: 'QUIET_HOURS' });
  });

  it('opens a narrower window on its own start', () => {
    const decision = checkQuietHours({
      at: utc('2025-01-15T09:00:00Z'),
      zones: ['Europe/Paris'],
      window: { start: '10:30', end: '17:00' },
    });
    expect(decision).toMatchObject({ kind: 'defer', until: utc('2025-01-15T09:30:00Z') });
  });

  it('refuses a window wider than 08:00–21:00', () => {
    expect(() =>
      checkQuietHours({ at: 0, zones: ['Europe/London'], window: { start: '07:00', end: '21:00' } }),
    ).toThrow(MessagingPolicyError);
  });
});

describe('checkQuietHours across a country of several zones', () => {
  const us = timeZonesOfCountry('US');

  it('sends only when it is inside the window from Honolulu to New York', () => {
    // 12:00 UTC in July: 08:00 in New York but 02:00 in Honolulu → wait for 08:00 HST = 18:00 UTC (14:00 EDT).
    expect(checkQuietHours({ at: utc('2025-07-01T12:00:00Z'), zones: us, window: WINDOW })).toEqual({
      kind: 'defer',
      until: utc('2025-07-01T18:00:00Z'),
      reason: 'QUIET_HOURS',
    });
    // 00:59 UTC: 20:59 in New York, 14:59 in Honolulu.
    expect(checkQuietHours({ at: utc('2025-07-02T00:59:00Z'), zones: us, window: WINDOW })).toEqual({
      kind: 'send-now',
    });
    // 01:00 UTC: 21:00 in New York → the next shared minute is 08:00 HST.
    expect(checkQuietHours({ at: utc('2025-07-02T01:00:00Z'), zones: us, window: WINDOW })).toMatchObject({
      kind: 'defer',
      until: utc('2025-07-02T18:00:00Z'),
    });
  });

  it('says so when the zones share no allowed minute', () => {
    // Honolulu (UTC-10) and Kolkata (UTC+5:30) are 8.5 hours apart on the clock: a 5-hour window never holds in both.
    const narrow = { start: '10:00', end: '15:00' };
    expect(
      checkQuietHours({
        at: utc('2025-07-01T12:00:00Z'),
        zones: ['Pacific/Honolulu', 'Asia/Kolkata'],
        window: narrow,
      }),
    ).toEqual({
      kind: 'no-common-window',
    });
    // In July the US spans 6 hours (EDT to HST): a 5-hour window fits none of them at once.
    expect(
      checkQuietHours({
        at: utc('2025-07-01T12:00:00Z'),
        zones: us,
        window: { start: '10:00', end: '15:00' },
      }),
    ).toEqual({
      kind: 'no-common-window',
    });
  });

  it('is never early, lands inside the window in every zone, and skips no earlier allowed minute', () => {
    const zoneSets = [
      ['Europe/London'],
      ['America/New_York'],
      ['Australia/Lord_Howe'],
      ['America/Santiago'],
      timeZonesOfCountry('AU'),
      timeZonesOfCountry('CA'),
      us,
    ];
    const allowedEverywhere = (t: number, zones: readonly string[], start: number, end: number) =>
      zones.every((zone) => {
        const local = DateTime.fromMillis(t, { zone });
        const minute = local.hour * 60 + local.minute;
        return minute >= start && minute < end;
      });
    fc.assert(
      fc.property(
        fc.integer({ min: utc('2024-01-01T00:00:00Z'), max: utc('2027-01-01T00:00:00Z') }),
        fc.constantFrom(...zoneSets),
        fc.constantFrom(WINDOW, { start: '09:00', end: '20:00' }),
        (at, zones, window) => {
          const { startMinute, endMinute } = parseSendWindow(window);
          const decision = checkQuietHours({ at, zones, window });
          if (decision.kind === 'send-now') return allowedEverywhere(at, zones, startMinute, endMinute);
          if (decision.kind === 'no-common-window') return false;
          if (decision.until <= at || decision.until % 60_000 !== 0) return false;
          if (!allowedEverywhere(decision.until, zones, startMinute, endMinute)) return false;
          // No allowed minute in between (minute by minute, from the first whole minute after `at`).
          for (let t = Math.ceil(at / 60_000) * 60_000; t < decision.until; t += 60_000) {
            if (allowedEverywhere(t, zones, startMinute, endMinute)) return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads its instants as UTC milliseconds', () => {
    expect(iso(utc('2025-07-01T18:00:00Z'))).toBe('2025-07-01T18:00:00.000Z');
  });
});

describe('resolveTimeZones', () => {
  const defaultTimeZone = 'Europe/London';

  it('prefers the case time zone when valid', () => {
    expect(
      resolveTimeZones({ caseTimeZone: 'Europe/Berlin', phoneNumber: '+14155552671', defaultTimeZone }),
    ).toEqual({
      source: 'case',
      zones: ['Europe/Berlin'],
    });
  });

  it("falls back to every zone of the phone number's country", () => {
    const resolved = resolveTimeZones({
      caseTimeZone: 'Mars/Olympus_Mons',
      phoneNumber: '+14155552671',
      defaultTimeZone,
    });
    expect(resolved).toMatchObject({ source: 'phone-country', country: 'US' });
    expect(resolved.zones).toEqual(
      expect.arrayContaining([
        'America/New_York',
        'America/Los_Angeles',
        'Pacific/Honolulu',
        'America/Anchorage',
      ]),
    );
  });

  it('uses the single zone of a one-zone country', () => {
    expect(resolveTimeZones({ phoneNumber: '+33612345678', defaultTimeZone })).toEqual({
      source: 'phone-country',
      country: 'FR',
      zones: ['Europe/Paris'],
    });
  });

  it('uses the default without a phone number, or with one that names no country', () => {
    expect(resolveTimeZones({ defaultTimeZone })).toEqual({ source: 'default', zones: ['Europe/London'] });
    expect(resolveTimeZones({ phoneNumber: '+80012345678', defaultTimeZone })).toEqual({
      source: 'default',
      zones: ['Europe/London'],
    });
    expect(resolveTimeZones({ phoneNumber: 'not a number', defaultTimeZone })).toEqual({
      source: 'default',
      zones: ['Europe/London'],
    });
  });

  it('refuses an invalid default, naming the field', () => {
    expect(() => resolveTimeZones({ defaultTimeZone: 'Europe/Atlantis' })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIME_ZONE', field: 'defaultTimeZone' }),
    );
  });
});
