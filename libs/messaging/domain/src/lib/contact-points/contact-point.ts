/**
 * Contact point checks: an E.164 phone number valid for its country (libphonenumber-js, full metadata) and an
 * e-mail address of sound syntax. A refusal names the field and the rule, never the value; `maskContactPoint`
 * is what a log line may carry instead.
 */
import { maskEmail } from '@closeout/privacy';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { MessagingPolicyError } from '../errors';

export type PhoneCheck =
  | {
      valid: true;
      e164: string;
      /** ISO 3166-1 alpha-2, when the number belongs to one country */ country?: string;
    }
  | { valid: false; error: MessagingPolicyError };

export type EmailCheck = { valid: true; email: string } | { valid: false; error: MessagingPolicyError };

/** `+`, a country code that does not start with 0, at most 15 digits in all (ITU-T E.164). */
const E164 = /^\+[1-9]\d{5,14}$/;
/** RFC 5321's limits: 254 characters in all, 64 before the @. */
const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const EMAIL = z.email();

/** Checks a phone number written in E.164 (`+447400123456`): the form first, then validity for its country. */
export function checkPhoneNumber(value: string, field = 'phone'): PhoneCheck {
  if (!E164.test(value))
    return refuse(
      'INVALID_PHONE_NUMBER',
      field,
      'must be in E.164 form: + then the country code and number, digits only, at most 15 digits',
    );
  const parsed = parsePhoneNumberFromString(value);
  if (!parsed?.isValid())
    return refuse('INVALID_PHONE_NUMBER', field, 'must be a valid phone number for its country code');
  return { valid: true, e164: parsed.number, ...(parsed.country ? { country: parsed.country } : {}) };
}

/** Checks an e-mail address's syntax (length limits first, so nothing long is matched). */
export function checkEmail(value: string, field = 'email'): EmailCheck {
  if (value.length > MAX_EMAIL_LENGTH)
    return refuse('INVALID_EMAIL', field, `must be at most ${MAX_EMAIL_LENGTH} characters`);
  const at = value.lastIndexOf('@');
  if (at > MAX_LOCAL_PART_LENGTH)
    return refuse(
      'INVALID_EMAIL',
      field,
      `must have at most ${MAX_LOCAL_PART_LENGTH} characters before the @`,
    );
  if (!EMAIL.safeParse(value).success)
    return refuse(
      'INVALID_EMAIL',
      field,
      'must be an e-mail address: a local part, @ and a domain with a dot',
    );
  return { valid: true, email: value };
}

/** The E.164 form of a valid phone number; a MessagingPolicyError naming `field` otherwise. */
export function assertPhoneNumber(value: string, field = 'phone'): string {
  const check = checkPhoneNumber(value, field);
  if (!check.valid) throw check.error;
  return check.e164;
}

/** A valid e-mail address; a MessagingPolicyError naming `field` otherwise. */
export function assertEmail(value: string, field = 'email'): string {
  const check = checkEmail(value, field);
  if (!check.valid) throw check.error;
  return check.email;
}

/**
 * A contact point fit for a log line: `+447400123456` → `+44*******456` (the country code and the last three
 * digits), `jane.doe@example.com` → `j***@e***.com`. Anything else → `***`. Never throws.
 */
export function maskContactPoint(value: string): string {
  if (value.includes('@')) return maskEmail(value.slice(0, MAX_EMAIL_LENGTH + 1));
  if (!E164.test(value)) return '***';
  const parsed = parsePhoneNumberFromString(value);
  const countryCode = parsed?.countryCallingCode ?? '';
  const digits = value.slice(1);
  const hidden = digits.length - countryCode.length - 3;
  if (hidden < 4) return '***';
  return `+${countryCode}${'*'.repeat(hidden)}${digits.slice(-3)}`;
}

function refuse(
  code: 'INVALID_PHONE_NUMBER' | 'INVALID_EMAIL',
  field: string,
  rule: string,
): { valid: false; error: MessagingPolicyError } {
  return { valid: false, error: new MessagingPolicyError(code, field, rule) };
}
