/**
 * Localised strings. en-GB is complete and the fallback; the locales of messaging's templates (apps/messaging/templates:
 * `en` today) map to it. The action forms' strings (`actions/forms/strings.<locale>.json`) are merged in by the module.
 */
import enGB from './strings.en-GB.json';

export type Strings = Readonly<Record<string, string>>;
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export const DEFAULT_LOCALE = 'en-GB';

/** Locale → strings. Locales are BCP 47 tags; a tag's language alone (`en`) finds a locale of that language. */
export class Catalog {
  private readonly locales = new Map<string, Record<string, string>>();

  constructor(base: Record<string, Strings> = { [DEFAULT_LOCALE]: enGB }) {
    for (const [locale, strings] of Object.entries(base)) this.add(locale, strings);
  }

  /** Adds strings to a locale (a later add wins on a key). */
  add(locale: string, strings: Strings): this {
    this.locales.set(locale, { ...(this.locales.get(locale) ?? {}), ...strings });
    return this;
  }

  /** The supported locale for a tag (exact, then same language, then en-GB). */
  resolve(tag: string | null | undefined): string {
    if (tag) {
      if (this.locales.has(tag)) return tag;
      const language = tag.split('-')[0]?.toLowerCase();
      for (const locale of this.locales.keys())
        if (locale.split('-')[0]?.toLowerCase() === language) return locale;
    }
    return DEFAULT_LOCALE;
  }

  /** `t(key, vars)`: the locale's string, else en-GB's, else the key; `{name}` replaced by vars. */
  translator(locale: string): Translate {
    const own = this.locales.get(locale) ?? {};
    const fallback = this.locales.get(DEFAULT_LOCALE) ?? {};
    return (key, vars) => {
      const text = own[key] ?? fallback[key] ?? key;
      return vars
        ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m))
        : text;
    };
  }

  has(locale: string, key: string): boolean {
    return (
      (this.locales.get(locale) ?? {})[key] !== undefined ||
      (this.locales.get(DEFAULT_LOCALE) ?? {})[key] !== undefined
    );
  }
}
