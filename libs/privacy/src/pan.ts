/**
 * Card numbers (PANs) in free text. A PAN is 13 to 19 digits passing the Luhn check; issuers print them in groups
 * separated by single spaces or hyphens, so digit groups joined by such separators are read together.
 */

const MIN_PAN_DIGITS = 13;
const MAX_PAN_DIGITS = 19;
/** Issuers print a card number in groups of 4 to 6 digits (4-4-4-4, 4-6-5, 4-6-4): longer groups are not read together. */
const MAX_PRINTED_GROUP_DIGITS = 6;

/** Digits, optionally separated by one space or hyphen between groups. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

/** A letter or underscore: digits touching one belong to an identifier token. */
const WORD_CHAR = /[A-Za-z_]/;

/** A UUID's canonical form: its groups may all be digits (`…-9219-291841117099`), yet it is an id, not a card. */
const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;

/** A W3C `traceparent` (version-traceid-spanid-flags): its span id may be 16 decimal digits, yet it is an id. */
const TRACEPARENT = /\b[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\b/g;

/**
 * A bare 13-digit run from 2001 to 2100 in ms since the epoch is a timestamp (one in ten passes Luhn by chance). No
 * card scheme issues 13-digit numbers starting with 1 or 2 (Visa's old 13-digit numbers start with 4).
 */
function isEpochMs(digits: string): boolean {
  return (
    digits.length === 13 &&
    (digits[0] === '1' || digits[0] === '2' || digits[0] === '3' || digits[0] === '4') &&
    Number(digits) >= 1e12 &&
    Number(digits) < 4.2e12 &&
    !digits.startsWith('4')
  );
}

/** True when the digits (no separators) pass the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Where a card number sits in a text: [start, end) over the text's UTF-16 indexes, separators included. */
export interface PanMatch {
  start: number;
  end: number;
}

/**
 * Every Luhn-valid 13–19 digit sequence in `text`, left to right. A candidate is one digit group, or whole groups of
 * at most six digits joined by single spaces or hyphens, as card numbers are printed: `4111 1111 1111 1111 2027` holds the card
 * `4111 1111 1111 1111`. A window cut out of a longer group is not a candidate: one in ten of them passes Luhn by
 * chance, and a 20-digit id is not a card number.
 */
export function findPans(text: string): PanMatch[] {
  const found: PanMatch[] = [];
  const uuids = [...text.matchAll(UUID), ...text.matchAll(TRACEPARENT)].map(
    (m) => [m.index, m.index + m[0].length] as const,
  );
  const inUuid = (at: number): boolean => uuids.some(([from, to]) => at >= from && at < to);
  for (const run of text.matchAll(DIGIT_RUN)) {
    const groups = [...run[0].matchAll(/\d+/g)].map((g) => {
      const start = run.index + g.index;
      const end = start + g[0].length;
      // Digits glued to letters are part of a token (hex ids, UUIDs, trace ids), never a printed card group.
      // A run written after `+` is a phone number in international form (E.164), never a card.
      const glued =
        WORD_CHAR.test(text[start - 1] ?? '') ||
        WORD_CHAR.test(text[end] ?? '') ||
        inUuid(start) ||
        (g.index === 0 && text[start - 1] === '+');
      return { start, end, digits: g[0], glued };
    });
    let i = 0;
    while (i < groups.length) {
      let matchedTo = -1;
      let digits = '';
      let longestGroup = 0;
      for (let j = i; j < groups.length; j++) {
        if (groups[j]!.glued) break;
        digits += groups[j]!.digits;
        longestGroup = Math.max(longestGroup, groups[j]!.digits.length);
        if (digits.length > MAX_PAN_DIGITS) break;
        // `7380-1796589378810` (a pid and a ms timestamp in an id) is not a card printed in groups.
        if (j > i && longestGroup > MAX_PRINTED_GROUP_DIGITS) break;
        if (digits.length >= MIN_PAN_DIGITS && luhnValid(digits) && !(j === i && isEpochMs(digits)))
          matchedTo = j;
      }
      if (matchedTo >= 0) {
        found.push({ start: groups[i]!.start, end: groups[matchedTo]!.end });
        i = matchedTo + 1;
      } else i++;
    }
  }
  return found;
}

/** True when `text` holds a card number. */
export function containsPan(text: string): boolean {
  return findPans(text).length > 0;
}

/**
 * `text` with every card number's digits replaced by `*` except the last four (PCI DSS allows at most the first six
 * and last four to be shown; keeping fewer is safer). Separators are kept, so the length and shape stay the same.
 */
export function maskPans(text: string): string {
  const matches = findPans(text);
  if (matches.length === 0) return text;
  // Indexes from findPans are UTF-16 code units; digits and separators are single code units, so work on units.
  const units = text.split('');
  for (const { start, end } of matches) {
    let keep = 4;
    for (let i = end - 1; i >= start; i--) {
      const c = units[i]!;
      if (c < '0' || c > '9') continue;
      if (keep > 0) keep--;
      else units[i] = '*';
    }
  }
  return units.join('');
}
