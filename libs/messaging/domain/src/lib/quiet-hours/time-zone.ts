/**
 * Which local time a recipient lives in, for quiet hours. In order: the case's own time zone (the trigger's
 * `customer.timeZone`) when it is a valid IANA name; else every time zone of the phone number's country (a US
 * number may be anywhere from Honolulu to New York, so quiet hours then hold in all of them at once); else the
 * deployment's default. The answer says which source was used.
 */
import { getCountry } from 'countries-and-timezones';
import { IANAZone } from 'luxon';
import { checkPhoneNumber } from '../contact-points/contact-point';
import { MessagingPolicyError } from '../errors';

export type TimeZoneSource = 'case' | 'phone-country' | 'default';

export type ResolvedTimeZones =
  | { source: 'case'; zones: readonly [string] }
  /** `country` is ISO 3166-1 alpha-2; `zones` are all its IANA zones (one or more). */
  | { source: 'phone-country'; country: string; zones: readonly string[] }
  | { source: 'default'; zones: readonly [string] };

export interface TimeZoneInputs {
  /** The case's time zone, as the trigger gave it; ignored when absent or not a valid IANA name. */
  caseTimeZone?: string;
  /** The recipient's phone number (E.164), when there is one. */
  phoneNumber?: string;
  /** The deployment's default IANA zone; must be valid. */
  defaultTimeZone: string;
}

/**
 * Answers already given: luxon asks the runtime by building an `Intl.DateTimeFormat`, which costs more than the rest
 * of a send decision. Bounded: there are about 600 IANA names, and names past the bound are simply asked again.
 */
const zoneValidity = new Map<string, boolean>();
const MAX_REMEMBERED_ZONES = 2_048;

export function isValidTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  const known = zoneValidity.get(name);
  if (known !== undefined) return known;
  const valid = IANAZone.isValidZone(name);
  if (zoneValidity.size < MAX_REMEMBERED_ZONES) zoneValidity.set(name, valid);
  return valid;
}

/** The IANA zones of a country (ISO 3166-1 alpha-2), those the runtime knows; empty for an unknown country. */
export function timeZonesOfCountry(country: string): string[] {
  return (getCountry(country)?.timezones ?? []).filter(isValidTimeZone);
}

export function resolveTimeZones(inputs: TimeZoneInputs): ResolvedTimeZones {
  if (!isValidTimeZone(inputs.defaultTimeZone))
    throw new MessagingPolicyError(
      'INVALID_TIME_ZONE',
      'defaultTimeZone',
      'must be an IANA time zone name (Europe/London)',
    );
  if (inputs.caseTimeZone !== undefined && isValidTimeZone(inputs.caseTimeZone))
    return { source: 'case', zones: [inputs.caseTimeZone] };
  if (inputs.phoneNumber !== undefined) {
    const phone = checkPhoneNumber(inputs.phoneNumber);
    if (phone.valid && phone.country !== undefined) {
      const zones = timeZonesOfCountry(phone.country);
      if (zones.length > 0) return { source: 'phone-country', country: phone.country, zones };
    }
  }
  return { source: 'default', zones: [inputs.defaultTimeZone] };
}
