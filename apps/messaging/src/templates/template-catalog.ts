/**
 * Message templates: one YAML file per (template id, channel, locale) under the templates directory,
 * `<templateId>/<CHANNEL>.<locale>.yaml` (the template id carries its version: `failed-payment-recovery.v1`), rendered
 * with liquidjs. Every template is checked when the catalog loads, and the service does not start on a template that
 * lacks a required part: the action asked of the customer, the deadline, the mini-app link and the opt-out text.
 *
 * One template id is of another kind: `one-time-code` (`ONE_TIME_CODE_TEMPLATE_ID`), the message carrying a one-time
 * code the mini-app asks for. Its bodies must use `{{ code }}` and `{{ validMinutes }}` and may not carry a link (a
 * code message only ever answers the customer's own request in the mini-app); it has no action or opt-out text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { parse } from 'yaml';
import { z } from 'zod';
import { DomainError } from '@closeout/errors';
import type { Channel } from '@closeout/messaging-channels';

/** The shipped templates, `apps/messaging/templates`. */
export const DEFAULT_TEMPLATES_DIR = join(__dirname, '..', '..', 'templates');

export class TemplateCatalogError extends DomainError<'TEMPLATE_INVALID'> {
  constructor(readonly problems: readonly string[]) {
    super('TEMPLATE_INVALID', `message templates refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** What a rendering is given. Contact points are never among them. */
export interface TemplateValues {
  /** The mini-app link, `<MINIAPP_BASE_URL>/l/<token>`. */
  link: string;
  /** The link's expiry, formatted for the recipient's locale and time zone. */
  deadline: string;
  /** Email: the one-click unsubscribe URL (also the List-Unsubscribe header). */
  unsubscribeUrl?: string;
}

/** The template id of one-time code messages (the mini-app's identity check). */
export const ONE_TIME_CODE_TEMPLATE_ID = 'one-time-code';

/** What a one-time code message is rendered with. The code is in the message only: never stored or logged. */
export interface CodeValues {
  code: string;
  validMinutes: number;
}

export interface RenderedMessage {
  subject?: string;
  text: string;
  html?: string;
}

const FILE_NAME = /^(SMS|EMAIL|WHATSAPP)\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.yaml$/;

const fileSchema = z.strictObject({
  /** The action asked of the customer, in words: the body shows it as `{{ action }}`. */
  action: z.string().min(1, 'must state the action asked of the customer'),
  /** How to stop these messages: `{{ optOut }}` in the body. */
  optOut: z.string().min(1, 'must give the opt-out text'),
  subject: z.string().min(1).optional(),
  text: z.string().min(1, 'must have a text body'),
  html: z.string().min(1).optional(),
});

const codeFileSchema = z.strictObject({
  subject: z.string().min(1).optional(),
  text: z.string().min(1, 'must have a text body'),
  html: z.string().min(1).optional(),
});

/** Each required part of a one-time code body and the variable that carries it. */
const CODE_PARTS: ReadonlyArray<readonly [variable: string, part: string]> = [
  ['code', 'the code'],
  ['validMinutes', 'how long the code is valid'],
];

/** Each required part and the variable that carries it into a body. */
const REQUIRED_PARTS: ReadonlyArray<readonly [variable: string, part: string]> = [
  ['action', 'the action'],
  ['deadline', 'the deadline'],
  ['link', 'the mini-app link'],
  ['optOut', 'the opt-out text'],
];

interface Parsed {
  /** Absent from one-time code templates. */
  action?: Template[];
  optOut?: Template[];
  subject?: Template[];
  text: Template[];
  html?: Template[];
}

export interface MessageTemplate {
  templateId: string;
  channel: Channel;
  locale: string;
  /** `templates/<templateId>/<file>`, for logs and audit. */
  file: string;
}

const text = new Liquid({ strictVariables: true, strictFilters: true, outputEscape: undefined });
const html = new Liquid({ strictVariables: true, strictFilters: true, outputEscape: 'escape' });

export class TemplateCatalog {
  private constructor(
    private readonly templates: ReadonlyMap<string, MessageTemplate & { parsed: Parsed }>,
  ) {}

  /** Loads and checks every template under `dir`; throws TemplateCatalogError naming each file and missing part. */
  static load(dir: string): TemplateCatalog {
    const problems: string[] = [];
    const templates = new Map<string, MessageTemplate & { parsed: Parsed }>();
    let ids: string[];
    try {
      ids = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory());
    } catch {
      throw new TemplateCatalogError([`${dir}: cannot be read as the templates directory`]);
    }
    for (const templateId of ids.sort()) {
      for (const name of readdirSync(join(dir, templateId)).sort()) {
        const file = `${templateId}/${name}`;
        const match = FILE_NAME.exec(name);
        if (!match) {
          problems.push(`${file}: must be named <SMS|EMAIL|WHATSAPP>.<locale>.yaml`);
          continue;
        }
        const channel = match[1] as Channel;
        const locale = match[2]!;
        const source = readFileSync(join(dir, templateId, name), 'utf8');
        const found =
          templateId === ONE_TIME_CODE_TEMPLATE_ID
            ? checkCodeTemplate(file, channel, source)
            : checkTemplate(file, channel, source);
        if ('problems' in found) problems.push(...found.problems);
        else
          templates.set(keyOf(templateId, channel, locale), {
            templateId,
            channel,
            locale,
            file,
            parsed: found,
          });
      }
    }
    if (problems.length > 0) throw new TemplateCatalogError(problems);
    return new TemplateCatalog(templates);
  }

  get size(): number {
    return this.templates.size;
  }

  list(): MessageTemplate[] {
    return [...this.templates.values()].map(({ parsed: _parsed, ...t }) => t);
  }

  /** The template for the locale, else its language (`en-GB` → `en`), else the default locale's. */
  find(
    templateId: string,
    channel: Channel,
    locale: string | undefined,
    defaultLocale: string,
  ): MessageTemplate | undefined {
    const candidates = [locale, locale?.split('-')[0], defaultLocale].filter((l): l is string => !!l);
    for (const l of candidates) {
      const t = this.templates.get(keyOf(templateId, channel, l));
      if (t) return { templateId: t.templateId, channel: t.channel, locale: t.locale, file: t.file };
    }
    return undefined;
  }

  render(template: MessageTemplate, values: TemplateValues): RenderedMessage {
    const t = this.parsedOf(template);
    if (!t.parsed.action || !t.parsed.optOut)
      throw new TemplateCatalogError([`${template.file}: not a message template`]);
    const scope: Record<string, string> = { ...values } as Record<string, string>;
    scope['action'] = text.renderSync(t.parsed.action, scope) as string;
    scope['optOut'] = text.renderSync(t.parsed.optOut, scope) as string;
    return this.bodies(t.parsed, scope);
  }

  /** Renders a one-time code template (`ONE_TIME_CODE_TEMPLATE_ID`). */
  renderCode(template: MessageTemplate, values: CodeValues): RenderedMessage {
    if (template.templateId !== ONE_TIME_CODE_TEMPLATE_ID)
      throw new TemplateCatalogError([`${template.file}: not a one-time code template`]);
    const t = this.parsedOf(template);
    return this.bodies(t.parsed, { code: values.code, validMinutes: String(values.validMinutes) });
  }

  private parsedOf(template: MessageTemplate): MessageTemplate & { parsed: Parsed } {
    const t = this.templates.get(keyOf(template.templateId, template.channel, template.locale));
    if (!t) throw new TemplateCatalogError([`${template.file}: not in the catalog`]);
    return t;
  }

  private bodies(t: Parsed, scope: Record<string, string>): RenderedMessage {
    return {
      ...(t.subject ? { subject: (text.renderSync(t.subject, scope) as string).trim() } : {}),
      text: (text.renderSync(t.text, scope) as string).trim(),
      ...(t.html ? { html: html.renderSync(t.html, scope) as string } : {}),
    };
  }
}

const keyOf = (templateId: string, channel: Channel, locale: string) => `${templateId}|${channel}|${locale}`;

/** A template file's YAML checked against its schema: the document, or its problems named by file and field. */
function readTemplateFile<S extends z.ZodType>(
  file: string,
  source: string,
  schema: S,
): { doc: z.infer<S> } | { problems: string[] } {
  let document: unknown;
  try {
    document = parse(source);
  } catch (error) {
    return { problems: [`${file}: not YAML (${(error as Error).message.split('\n')[0]})`] };
  }
  const shape = schema.safeParse(document);
  if (!shape.success)
    return {
      problems: shape.error.issues.map((i) => `${file}: ${i.path.join('.') || '(file)'} ${i.message}`),
    };
  return { doc: shape.data };
}

/** The problems of one template file, or its parsed parts. */
export function checkTemplate(
  file: string,
  channel: Channel,
  source: string,
): Parsed | { problems: string[] } {
  const read = readTemplateFile(file, source, fileSchema);
  if ('problems' in read) return read;
  const doc = read.doc;
  const problems: string[] = [];
  const parsed: Partial<Parsed> = {};
  const compile = (
    field: keyof Parsed,
    source: string | undefined,
    engine: Liquid,
  ): Template[] | undefined => {
    if (source === undefined) return undefined;
    try {
      const templates = engine.parse(source);
      parsed[field] = templates;
      return templates;
    } catch (error) {
      problems.push(`${file}: ${field} is not a valid template (${(error as Error).message.split('\n')[0]})`);
      return undefined;
    }
  };
  compile('action', doc.action, text);
  const optOut = compile('optOut', doc.optOut, text);
  compile('subject', doc.subject, text);
  const bodies: Array<[string, Template[] | undefined, Liquid]> = [
    ['text', compile('text', doc.text, text), text],
  ];
  if (channel === 'EMAIL') {
    if (doc.subject === undefined) problems.push(`${file}: subject is required for EMAIL`);
    if (doc.html !== undefined) bodies.push(['html', compile('html', doc.html, html), html]);
    if (optOut && !text.globalVariablesSync(optOut).includes('unsubscribeUrl'))
      problems.push(`${file}: optOut must give the unsubscribe link ({{ unsubscribeUrl }})`);
  } else {
    if (doc.subject !== undefined || doc.html !== undefined)
      problems.push(`${file}: subject and html are for EMAIL only`);
    if (!/\bSTOP\b/.test(doc.optOut)) problems.push(`${file}: optOut must tell the customer to reply STOP`);
  }
  for (const [name, templates, engine] of bodies) {
    if (!templates) continue;
    const used = new Set(engine.globalVariablesSync(templates));
    for (const [variable, part] of REQUIRED_PARTS)
      if (!used.has(variable)) problems.push(`${file}: ${name} is missing ${part} ({{ ${variable} }})`);
  }
  return problems.length > 0 ? { problems } : (parsed as Parsed);
}

/** The problems of one one-time code template file, or its parsed parts. */
export function checkCodeTemplate(
  file: string,
  channel: Channel,
  source: string,
): Parsed | { problems: string[] } {
  const read = readTemplateFile(file, source, codeFileSchema);
  if ('problems' in read) return read;
  const doc = read.doc;
  const problems: string[] = [];
  const parsed: Partial<Parsed> = {};
  const bodies: Array<[keyof Parsed, string | undefined, Liquid]> = [
    ['text', doc.text, text],
    ['html', doc.html, html],
  ];
  if (channel === 'EMAIL') {
    if (doc.subject === undefined) problems.push(`${file}: subject is required for EMAIL`);
  } else if (doc.subject !== undefined || doc.html !== undefined)
    problems.push(`${file}: subject and html are for EMAIL only`);
  if (doc.subject !== undefined) {
    try {
      const subject = text.parse(doc.subject);
      parsed.subject = subject;
      if (text.globalVariablesSync(subject).includes('code'))
        problems.push(`${file}: subject must not show the code (mail clients list subjects)`);
    } catch (error) {
      problems.push(`${file}: subject is not a valid template (${(error as Error).message.split('\n')[0]})`);
    }
  }
  for (const [name, body, engine] of bodies) {
    if (body === undefined) continue;
    let templates: Template[];
    try {
      templates = engine.parse(body);
    } catch (error) {
      problems.push(`${file}: ${name} is not a valid template (${(error as Error).message.split('\n')[0]})`);
      continue;
    }
    parsed[name] = templates;
    const used = new Set(engine.globalVariablesSync(templates));
    for (const [variable, part] of CODE_PARTS)
      if (!used.has(variable)) problems.push(`${file}: ${name} is missing ${part} ({{ ${variable} }})`);
    for (const variable of used)
      if (!CODE_PARTS.some(([v]) => v === variable))
        problems.push(
          `${file}: ${name} uses {{ ${variable} }}; a code message has only code and validMinutes`,
        );
  }
  return problems.length > 0 ? { problems } : (parsed as Parsed);
}
