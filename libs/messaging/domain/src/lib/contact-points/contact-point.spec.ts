import { MessagingPolicyError } from '../errors';
import {
  assertEmail,
  assertPhoneNumber,
  checkEmail,
  checkPhoneNumber,
  maskContactPoint,
} from './contact-point';

describe('phone numbers', () => {
  it.each([
    ['+447400123456', 'GB'],
    ['+14155552671', 'US'],
    ['+12684601234', 'AG'],
    ['+33612345678', 'FR'],
    ['+61412345678', 'AU'],
  ])('accepts %s (E.164, valid in %s)', (phone, country) => {
    expect(checkPhoneNumber(phone)).toEqual({ valid: true, e164: phone, country });
  });

  it.each([
    '07911 123456',
    '+44 7911 123456',
    '447400123456',
    '+4407911123456x',
    '+0447400123456',
    '+1234567890123456',
    '',
    '+',
  ])('refuses %j as not E.164, naming the field and the rule only', (phone) => {
    const check = checkPhoneNumber(phone, 'customer.phone');
    expect(check.valid).toBe(false);
    if (check.valid) return;
    expect(check.error).toBeInstanceOf(MessagingPolicyError);
    expect(check.error.code).toBe('INVALID_PHONE_NUMBER');
    expect(check.error.field).toBe('customer.phone');
    expect(check.error.rule).toMatch(/E\.164/);
    if (phone.length > 1) expect(check.error.message).not.toContain(phone);
  });

  it('refuses a well-formed number its country does not allocate', () => {
    // +44 20 is London, but not with 6 digits after it.
    const check = checkPhoneNumber('+4420123456', 'to');
    expect(check).toMatchObject({ valid: false, error: { code: 'INVALID_PHONE_NUMBER', field: 'to' } });
    if (!check.valid) expect(check.error.rule).toBe('must be a valid phone number for its country code');
  });

  it('assertPhoneNumber returns the E.164 form or throws the refusal', () => {
    expect(assertPhoneNumber('+447400123456')).toBe('+447400123456');
    expect(() => assertPhoneNumber('0791', 'recipient.phone')).toThrow(
      'recipient.phone: must be in E.164 form',
    );
  });
});

describe('e-mail addresses', () => {
  it.each(['jane.doe@example.com', 'user+tag@sub.example.co.uk', "o'neil@example.ie", 'a@b.co'])(
    'accepts %s',
    (email) => {
      expect(checkEmail(email)).toEqual({ valid: true, email });
    },
  );

  it.each([
    'jane.doe',
    'jane@',
    '@example.com',
    'jane@example',
    'jane..doe@example.com',
    'jane doe@example.com',
    'jane@exa mple.com',
    '',
  ])('refuses %j, naming the field and the rule only', (email) => {
    const check = checkEmail(email, 'customer.email');
    expect(check).toMatchObject({ valid: false, error: { code: 'INVALID_EMAIL', field: 'customer.email' } });
    if (!check.valid && email.length > 0) expect(check.error.message).not.toContain(email);
  });

  it('bounds the length before matching', () => {
    expect(checkEmail('a'.repeat(65) + '@example.com')).toMatchObject({
      valid: false,
      error: { rule: 'must have at most 64 characters before the @' },
    });
    expect(checkEmail('a@' + 'b'.repeat(300) + '.com')).toMatchObject({
      valid: false,
      error: { rule: 'must be at most 254 characters' },
    });
  });

  it('assertEmail returns the address or throws the refusal', () => {
    expect(assertEmail('jane@example.com')).toBe('jane@example.com');
    expect(() => assertEmail('nope', 'email')).toThrow(MessagingPolicyError);
  });
});

describe('maskContactPoint', () => {
  it.each([
    ['+447400123456', '+44*******456'],
    ['+14155552671', '+1*******671'],
    ['+33612345678', '+33******678'],
    ['jane.doe@example.com', 'j***@e***.com'],
    ['john@example.co.uk', 'j***@e***.uk'],
    ['not a contact point', '***'],
    ['+12345', '***'],
    ['', '***'],
  ])('%j → %j', (value, masked) => {
    expect(maskContactPoint(value)).toBe(masked);
  });
});
