/**
 * WhatsApp templates approved at the provider, for messages outside the 24-hour customer-service window: our template
 * id and locale → the provider's template name and language. Read once at boot from `WHATSAPP_APPROVED_TEMPLATES`
 * (JSON, bounded); a refusal names the entry and the rule. The template is sent with two body parameters, in this
 * order: the mini-app link and the deadline.
 */
import { z } from 'zod';

export interface ApprovedTemplate {
  /** The template's name as approved at the provider (`payment_failed_v1`). */
  name: string;
  /** The provider's language code of the approved translation (`en`, `en_GB`). */
  language: string;
}

/** templateId → locale → the approved template. */
export type ApprovedTemplates = ReadonlyMap<string, ReadonlyMap<string, ApprovedTemplate>>;

/** Largest value read, in characters. */
export const MAX_APPROVED_TEMPLATES_CHARS = 16 * 1024;
/** Most template ids, and most locales per template id. */
export const MAX_APPROVED_TEMPLATE_IDS = 100;
export const MAX_APPROVED_LOCALES = 20;

const TEMPLATE_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const entrySchema = z.strictObject(
  {
    // The Cloud API's rule for template names: lower-case letters, digits and underscores, at most 512.
    name: z
      .string('must be a string')
      .regex(/^[a-z0-9_]{1,512}$/, 'must be lower-case letters, digits and underscores (at most 512)'),
    language: z
      .string('must be a string')
      .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a code such as en or en_GB'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'has fields other than name and language' : 'must be an object',
  },
);

export class ApprovedTemplatesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ApprovedTemplatesError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses `{ "<templateId>": { "<locale>": { "name": "<approved name>", "language": "<code>" } } }`. Throws
 * ApprovedTemplatesError with every problem found (an entry is named by its template id and locale when they are well
 * formed, by its position otherwise); an empty or absent value is no approved template.
 */
export function parseApprovedTemplates(text: string | undefined): ApprovedTemplates {
  const result = new Map<string, Map<string, ApprovedTemplate>>();
  if (text === undefined || text.trim() === '') return result;
  if (text.length > MAX_APPROVED_TEMPLATES_CHARS)
    throw new ApprovedTemplatesError([`must be at most ${MAX_APPROVED_TEMPLATES_CHARS} characters`]);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ApprovedTemplatesError([
      'must be JSON: {"<templateId>": {"<locale>": {"name": "<approved name>", "language": "<code>"}}}',
    ]);
  }
  if (!isObject(document)) throw new ApprovedTemplatesError(['must be a JSON object keyed by template id']);
  const ids = Object.keys(document);
  if (ids.length > MAX_APPROVED_TEMPLATE_IDS)
    throw new ApprovedTemplatesError([`must name at most ${MAX_APPROVED_TEMPLATE_IDS} template ids`]);
  const problems: string[] = [];
  ids.forEach((templateId, i) => {
    if (!TEMPLATE_ID.test(templateId)) {
      problems.push(`template id #${i + 1} must be a template id such as failed-payment-recovery.v1`);
      return;
    }
    const locales = document[templateId];
    if (!isObject(locales)) {
      problems.push(`${templateId}: must be an object keyed by locale`);
      return;
    }
    const names = Object.keys(locales);
    if (names.length === 0) problems.push(`${templateId}: must name at least one locale`);
    if (names.length > MAX_APPROVED_LOCALES) {
      problems.push(`${templateId}: must name at most ${MAX_APPROVED_LOCALES} locales`);
      return;
    }
    const byLocale = new Map<string, ApprovedTemplate>();
    names.forEach((locale, j) => {
      if (!LOCALE.test(locale)) {
        problems.push(`${templateId}: locale #${j + 1} must be a BCP 47 tag such as en or en-GB`);
        return;
      }
      const parsed = entrySchema.safeParse(locales[locale]);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          problems.push(`${templateId}/${locale}: ${issue.path.join('.') || 'entry'} ${issue.message}`);
        return;
      }
      byLocale.set(locale, parsed.data);
    });
    result.set(templateId, byLocale);
  });
  if (problems.length > 0) throw new ApprovedTemplatesError(problems);
  return result;
}

/** The approved template for the locale, else its language (`en-GB` → `en`), else the default locale's. */
export function approvedTemplateFor(
  templates: ApprovedTemplates,
  templateId: string,
  locale: string | undefined,
  defaultLocale: string,
): ApprovedTemplate | undefined {
  const byLocale = templates.get(templateId);
  if (!byLocale) return undefined;
  for (const l of [locale, locale?.split('-')[0], defaultLocale])
    if (l && byLocale.has(l)) return byLocale.get(l);
  return undefined;
}
