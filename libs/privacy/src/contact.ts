/**
 * Contact points (e-mail addresses and phone numbers) in free text, found to keep them out of places that do not
 * need them (logs, audit events, metric labels, topics other than the messaging service's). Detection is
 * deliberately broad: a false positive costs a masked value, a false negative leaks personal data.
 */

/** An e-mail address: local part, @, a dotted domain ending in an alphabetic TLD (`mapping@v2.1` is a version). Bounded quantifiers keep matching linear on hostile input. */
import { findPans } from './pan';

const EMAIL =
  /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,7}\.[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

/**
 * A phone number as people write one: an optional +, then 7 to 15 digits (E.164's maximum) in groups separated by
 * single spaces, hyphens, dots or a parenthesised area code. Plain digit runs that are not shaped like a phone
 * number (no + and fewer than 10 digits) are left alone: ids and amounts look like that.
 */
const PHONE = /(?:\+|\b)\d(?:[ .\-()]{0,2}\d){6,14}\b/g;

export interface ContactMatch {
  kind: 'email' | 'phone';
  start: number;
  end: number;
}

/**
 * Without a +, a digit run is a phone number only when written like one: in groups (`020 7946 0958`, `(555) 010-4477`) of at most 6 digits each
 * or as a national number with its trunk 0 (`07700900123`). A bare run of 10+ digits is an id, an amount or a
 * timestamp in ms (`1765000000123`), and a date-time (`2026-12-06 10:01`) is not a phone number.
 */
function isPhoneShaped(candidate: string, digits: number): boolean {
  if (/^\d{4}-\d{2}-\d{2}/.test(candidate)) return false;
  // Written in groups of at most 6 digits: `01 1765000000000` is a field and a timestamp side by side.
  if (/[ .\-()]/.test(candidate)) return candidate.split(/\D+/).every((g) => g.length <= 6);
  return candidate.startsWith('0') && digits >= 10 && digits <= 11;
}

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Every e-mail address and phone number in `text`, left to right, without overlaps. */
export function findContactPoints(text: string): ContactMatch[] {
  const found: ContactMatch[] = [];
  // A card number is a card number, not also a phone number.
  const pans = findPans(text);
  for (const m of text.matchAll(EMAIL))
    found.push({ kind: 'email', start: m.index, end: m.index + m[0].length });
  for (const m of text.matchAll(PHONE)) {
    const start = m.index;
    const end = start + m[0].length;
    if (found.some((f) => f.kind === 'email' && start < f.end && end > f.start)) continue;
    if (pans.some((p) => start < p.end && end > p.start)) continue;
    // Digit groups inside a hyphenated token (a UUID's `5417-4791-9085`) are part of an id.
    if (/[-_A-Za-z]/.test(text[start - 1] ?? '') || /[-_A-Za-z]/.test(text[end] ?? '')) continue;
    const plus = m[0].startsWith('+');
    const digits = digitCount(m[0]);
    if (!plus && !isPhoneShaped(m[0], digits)) continue;
    if (plus ? digits >= 7 : digits >= 10) found.push({ kind: 'phone', start, end });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** `text` with each e-mail address as `j***@e***.com`-style and each phone number's digits masked but the last two. */
export function maskContactPoints(text: string): string {
  const matches = findContactPoints(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const { kind, start, end } of matches) {
    out += text.slice(at, start);
    const value = text.slice(start, end);
    out += kind === 'email' ? maskEmail(value) : maskPhone(value);
    at = end;
  }
  return out + text.slice(at);
}

/** `jane.doe@example.com` → `j***@e***.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot >= 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domain[0] ?? ''}***${tld}`;
}

/** `+44 7700 900123` → `+** **** ****23`: every digit but the last two masked, the shape kept. */
export function maskPhone(phone: string): string {
  let keep = 2;
  const units = phone.split('');
  for (let i = units.length - 1; i >= 0; i--) {
    const c = units[i]!;
    if (c < '0' || c > '9') continue;
    if (keep > 0) keep--;
    else units[i] = '*';
  }
  return units.join('');
}
