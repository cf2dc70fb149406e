import {
  approvedTemplateFor,
  ApprovedTemplatesError,
  MAX_APPROVED_TEMPLATES_CHARS,
  parseApprovedTemplates,
} from './approved-templates';

const problemsOf = (text: string): readonly string[] => {
  try {
    parseApprovedTemplates(text);
  } catch (error) {
    if (error instanceof ApprovedTemplatesError) return error.problems;
    throw error;
  }
  return [];
};

describe('WHATSAPP_APPROVED_TEMPLATES', () => {
  const map = parseApprovedTemplates(
    JSON.stringify({
      'failed-payment-recovery.v1': {
        en: { name: 'failed_payment_recovery_v1', language: 'en' },
        'en-US': { name: 'failed_payment_recovery_v1', language: 'en_US' },
        fr: { name: 'paiement_echoue_v1', language: 'fr' },
      },
    }),
  );

  it('reads our template id and locale → the approved name and language', () => {
    expect(approvedTemplateFor(map, 'failed-payment-recovery.v1', 'en-US', 'en')).toEqual({
      name: 'failed_payment_recovery_v1',
      language: 'en_US',
    });
  });

  it('falls back from the locale to its language, then to the default locale; an unknown id has none', () => {
    expect(approvedTemplateFor(map, 'failed-payment-recovery.v1', 'fr-CA', 'en')?.language).toBe('fr');
    expect(approvedTemplateFor(map, 'failed-payment-recovery.v1', 'de-DE', 'en')?.language).toBe('en');
    expect(approvedTemplateFor(map, 'failed-payment-recovery.v1', undefined, 'en')?.language).toBe('en');
    expect(approvedTemplateFor(map, 'kyc-refresh.v1', 'en', 'en')).toBeUndefined();
  });

  it('an absent or empty value is no approved template', () => {
    expect(parseApprovedTemplates(undefined).size).toBe(0);
    expect(parseApprovedTemplates('  ').size).toBe(0);
  });

  it('refuses what is not JSON, not an object, or too long', () => {
    expect(problemsOf('{nope')[0]).toMatch(/^must be JSON: /);
    expect(problemsOf('["a"]')).toEqual(['must be a JSON object keyed by template id']);
    expect(
      problemsOf(`{"a.v1":{"en":{"name":"${'a'.repeat(MAX_APPROVED_TEMPLATES_CHARS)}","language":"en"}}}`),
    ).toEqual([`must be at most ${MAX_APPROVED_TEMPLATES_CHARS} characters`]);
  });

  it('names each entry that does not hold and the rule, never a malformed key', () => {
    expect(
      problemsOf(
        JSON.stringify({
          'pay.v1': { en: { name: 'Pay Now', language: 'english' }, 'en-GB': { name: 'pay_v1' } },
          'Bad Id<script>': { en: { name: 'x', language: 'en' } },
          'kyc.v1': { 'not a locale': { name: 'kyc_v1', language: 'en' } },
          'docs.v1': { en: { name: 'docs_v1', language: 'en', extra: 1 } },
          'empty.v1': {},
        }),
      ),
    ).toEqual([
      'pay.v1/en: name must be lower-case letters, digits and underscores (at most 512)',
      'pay.v1/en: language must be a code such as en or en_GB',
      'pay.v1/en-GB: language must be a string',
      'template id #2 must be a template id such as failed-payment-recovery.v1',
      'kyc.v1: locale #1 must be a BCP 47 tag such as en or en-GB',
      'docs.v1/en: entry has fields other than name and language',
      'empty.v1: must name at least one locale',
    ]);
  });
});
