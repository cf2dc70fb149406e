/**
 * What a customer's inbound reply says about their consent: an opt-out (a carrier keyword, or words that revoke
 * consent by any reasonable means, as the TCPA revocation rule in force since April 2025 requires), an opt-in
 * keyword, or neither. Pure and bounded: only the first MAX_REPLY_CHARS characters are read, the result names a
 * keyword or a phrase class and never carries the text.
 */

/** Opt-out keywords as carriers and the FCC's rule name them (`OPTOUT` also matches "opt out", "opt-out"). */
export const OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
  'CANCEL',
] as const;
export type OptOutKeyword = (typeof OPT_OUT_KEYWORDS)[number];

export const OPT_IN_KEYWORDS = ['START', 'UNSTOP'] as const;
export type OptInKeyword = (typeof OPT_IN_KEYWORDS)[number];

/** Free-text revocations, by the kind of words used. */
export type RevocationPhraseClass =
  /** "please stop texting me", "stop sending me these messages" */
  | 'stop-contacting'
  /** "don't contact me again", "never call this number", "leave me alone" */
  | 'do-not-contact'
  /** "no more messages", "I don't want any more texts" */
  | 'no-more-messages'
  /** "remove me from your list", "take my number off", "delete my number" */
  | 'remove-me'
  /** "opt me out", "I want to unsubscribe", "how do I opt out" */
  | 'opt-out-request'
  /** "I revoke my consent", "I withdraw permission", "I no longer consent" */
  | 'revoke-consent'
  /** "wrong number", "wrong person": whoever holds this contact point never consented */
  | 'wrong-recipient';

/** Characters of a reply that are read; the rest is ignored (and `truncated` says so). */
export const MAX_REPLY_CHARS = 2000;

export type ReplyIntent =
  | { kind: 'opt-out'; via: 'keyword'; keyword: OptOutKeyword; truncated: boolean }
  | { kind: 'opt-out'; via: 'phrase'; phraseClass: RevocationPhraseClass; truncated: boolean }
  | { kind: 'opt-in'; keyword: OptInKeyword; truncated: boolean }
  /**
   * Neither. `mentionsKeyword` is set when an opt-out keyword appears in another sense ("stop by the branch",
   * "cancel my card"): not a revocation, but a reply the service may route to a person or clarify once.
   */
  | { kind: 'none'; mentionsKeyword?: OptOutKeyword; truncated: boolean };

/**
 * Words that may surround a keyword without changing what it says: "STOP please", "ok stop", "I said stop",
 * "unsubscribe me", "stop it now". `all` is not one of them: "stop all" is STOPALL.
 */
const FILLERS = new Set([
  'please',
  'pls',
  'plz',
  'plse',
  'now',
  'thanks',
  'thank',
  'you',
  'thx',
  'ty',
  'ok',
  'okay',
  'yes',
  'just',
  'but',
  'so',
  'and',
  'it',
  'this',
  'that',
  'me',
  'i',
  'said',
  'say',
  'again',
  'already',
  'right',
  'immediately',
  'asap',
  'hi',
  'hello',
  'sir',
  'madam',
  'texts',
  'messages',
  'msgs',
]);

const KEYWORD_BY_WORD: ReadonlyMap<string, OptOutKeyword> = new Map(
  OPT_OUT_KEYWORDS.map((k) => [k.toLowerCase(), k] as const),
);
const OPT_IN_BY_WORD: ReadonlyMap<string, OptInKeyword> = new Map(
  OPT_IN_KEYWORDS.map((k) => [k.toLowerCase(), k] as const),
);

// A revocation said the other way round: "don't stop texting me", "I can't stop calling her".
const NEGATED = String.raw`(?<!\b(?:don't|dont|do not|never|not|can't|cant|cannot|won't|wont|didn't|didnt)\s+)`;
const MEDIA = String.raw`(?:texts?|messages?|msgs?|e ?mails?|mails?|calls?|sms|notifications?|reminders?|spam|whatsapps?)`;

const CONTACT_OBJECT = String.raw`(?:me|us|my (?:number|phone(?: number)?|mobile|cell|e ?mail(?: address)?|details|contact(?: details| info)?|info)|this (?:number|e ?mail))`;
const LISTS = String.raw`(?:list|lists|mailing list|database|system|records|contacts|${MEDIA})`;

/** Each pattern runs on one normalised clause (lower case, letters, digits, apostrophes and single spaces). */
const PHRASES: ReadonlyArray<readonly [RevocationPhraseClass, RegExp]> = [
  [
    'stop-contacting',
    new RegExp(
      String.raw`${NEGATED}\b(?:stop|quit|cease|end)\s+(?:(?:texting|messaging|contacting|calling|e ?mailing|bothering|harassing|spamming|pestering|hounding|writing to)\b|(?:sending|send)\s+(?:me|us|this number|these|those|your|any|the)\b|(?:(?:all|all the|all these|all your|the|these|those|your|this)\s+)?${MEDIA}\b)`,
    ),
  ],
  [
    'do-not-contact',
    /\b(?:don't|dont|do not|never|no longer)\s+(?:ever\s+)?(?:text|message|msg|contact|call|e ?mail|sms|whatsapp|bother|write to|reach out to|reach)\s+(?:me|us|this number|my number|my phone|here)\b(?!\s+back\b)/,
  ],
  ['do-not-contact', /\bleave me alone\b/],
  ['no-more-messages', new RegExp(String.raw`\bno\s+(?:more|further)\s+${MEDIA}\b|\bno\s+more\s+contact\b`)],
  [
    'no-more-messages',
    new RegExp(
      String.raw`\b(?:don't|dont|do not|no longer)\s+(?:want|wish|need)\s+(?:to\s+(?:receive|get|be sent)\s+)?(?:(?:any|anymore|any more|more|further|these|those|your|the|this|such)\s+)*${MEDIA}\b`,
    ),
  ],
  // "remove me", "remove my number from your list" — not "remove me from the joint account".
  [
    'remove-me',
    new RegExp(String.raw`\b(?:remove|delete|erase)\s+${CONTACT_OBJECT}(?:\s+(?:please|now|thanks|asap))*$`),
  ],
  [
    'remove-me',
    new RegExp(
      String.raw`\b(?:remove|delete|erase|take)\s+${CONTACT_OBJECT}\s+(?:from|off)\s+(?:[\w']+\s+){0,3}?${LISTS}\b`,
    ),
  ],
  ['remove-me', new RegExp(String.raw`\btake\s+${CONTACT_OBJECT}\s+off(?:\s+(?:please|now|thanks|asap))*$`)],
  ['opt-out-request', /\bopt\s+(?:me|us|this number)\s+out\b/],
  [
    'opt-out-request',
    /\b(?:i|we)(?:'d|\s+would|\s+d)?\s+(?:want|wish|like|need)\s+to\s+(?:opt\s+out|unsubscribe|stop\s+(?:receiving|getting)|be removed)\b/,
  ],
  ['opt-out-request', /\bhow\s+(?:do|can|would)\s+i\s+(?:opt\s+out|unsubscribe)\b/],
  // Consent and permission only: revoking an "authorisation" is what a customer does to a direct debit.
  [
    'revoke-consent',
    /\b(?:revoke|revoking|withdraw|withdrawing|retract|cancel|cancelling|canceling)\s+(?:my\s+|all\s+|any\s+)?(?:consent|permission)\b/,
  ],
  [
    'revoke-consent',
    /\b(?:i|we)\s+(?:do not|don't|dont|no longer|never)\s+(?:consent|agree to (?:be|being) contacted)\b/,
  ],
  // "wrong number" as the message, or "you have / you're texting the wrong person" — not "I typed the wrong number".
  [
    'wrong-recipient',
    /^(?:sorry\s+)?(?:(?:this is|it's|its)\s+)?(?:the\s+|a\s+)?wrong\s+(?:number|person)(?:\s+sorry)?$/,
  ],
  [
    'wrong-recipient',
    /\b(?:you\s+have|you've\s+got|you\s+got|youve\s+got|you're|you\s+are|youre)\s+(?:[\w']+\s+)?(?:the|a)\s+wrong\s+(?:number|person)\b/,
  ],
];

/** Lower case, compatibility forms folded (full-width letters), invisible characters dropped, quotes unified. */
function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '')
    .replace(/[\u2018\u2019\u02bc\u0060\u00b4]/g, "'");
}

/**
 * The reply's clauses, each as space-separated words: lines quoted from our own message (`>` in an e-mail reply,
 * whose footer says "reply STOP") are left out; sentences and clauses split on punctuation.
 */
function clausesOf(text: string): string[][] {
  const clauses: string[][] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (/^\s*>/.test(line)) continue;
    for (const clause of line.split(/[.!?;:,()[\]{}"\u3002\uff01\uff1f\u00a1\u00bf]+/)) {
      const words = clause
        .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
        .split(/\s+/)
        .map((w) => w.replace(/^'+|'+$/g, ''))
        .filter((w) => w.length > 0);
      if (words.length > 0) clauses.push(words);
    }
  }
  return clauses;
}

/** The opt-out keyword a clause consists of, fillers aside: "STOP", "stop please", "opt-out", "stop all". */
function keywordClause(words: readonly string[]): OptOutKeyword | undefined {
  const joined = KEYWORD_BY_WORD.get(words.join(''));
  if (joined) return joined;
  const core = words.filter((w) => !FILLERS.has(w));
  if (core.length === 0) return undefined;
  const coreJoined = KEYWORD_BY_WORD.get(core.join(''));
  if (coreJoined) return coreJoined;
  // "stop stop stop", "stop unsubscribe": every remaining word is a keyword.
  const each = core.map((w) => KEYWORD_BY_WORD.get(w));
  return each.every((k) => k !== undefined) ? each[0] : undefined;
}

function optInClause(words: readonly string[]): OptInKeyword | 'filler' | undefined {
  const core = words.filter((w) => !FILLERS.has(w));
  if (core.length === 0) return 'filler';
  return OPT_IN_BY_WORD.get(core.join(''));
}

function mentionedKeyword(words: readonly string[]): OptOutKeyword | undefined {
  for (const [i, word] of words.entries()) {
    const k = KEYWORD_BY_WORD.get(word) ?? KEYWORD_BY_WORD.get(word + (words[i + 1] ?? ''));
    if (k) return k;
  }
  return undefined;
}

/**
 * Classifies an inbound reply. Order: an opt-out keyword clause, then a revocation phrase, then an opt-in keyword
 * (only when the whole reply is one: "START", "start please"), else none. A reply that both opts out and in is an
 * opt-out.
 */
export function detectReplyIntent(text: string): ReplyIntent {
  const truncated = text.length > MAX_REPLY_CHARS;
  const clauses = clausesOf(normalise(truncated ? text.slice(0, MAX_REPLY_CHARS) : text));

  for (const words of clauses) {
    const keyword = keywordClause(words);
    if (keyword) return { kind: 'opt-out', via: 'keyword', keyword, truncated };
  }
  for (const words of clauses) {
    const clause = words.join(' ');
    for (const [phraseClass, pattern] of PHRASES) {
      if (pattern.test(clause)) return { kind: 'opt-out', via: 'phrase', phraseClass, truncated };
    }
  }
  const optIns = clauses.map(optInClause);
  const optIn = optIns.find((k): k is OptInKeyword => k !== undefined && k !== 'filler');
  if (optIn && optIns.every((k) => k !== undefined)) return { kind: 'opt-in', keyword: optIn, truncated };

  for (const words of clauses) {
    const mentioned = mentionedKeyword(words);
    if (mentioned) return { kind: 'none', mentionsKeyword: mentioned, truncated };
  }
  return { kind: 'none', truncated };
}
