/**
 * The forms' strings by locale, for the mini-app to merge into its own. Placeholders are `{name}`. Messaging's
 * templates are written in `en` (British English: "postcode", £), so `en` and `en-GB` share one file.
 */
import enGB from './strings.en-GB.json';

export type FormStrings = Readonly<Record<string, string>>;

export const FORM_STRINGS: Readonly<Record<string, FormStrings>> = {
  'en-GB': enGB,
  en: enGB,
};
