import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  checkCodeTemplate,
  checkTemplate,
  DEFAULT_TEMPLATES_DIR,
  TemplateCatalog,
  TemplateCatalogError,
} from './template-catalog';

const SMS = `action: Pay the missed amount
optOut: Reply STOP to opt out.
text: '{{ action }} by {{ deadline }}: {{ link }} {{ optOut }}'
`;
const EMAIL = `action: Pay the missed amount
optOut: 'Unsubscribe: {{ unsubscribeUrl }}'
subject: Your payment did not go through
text: '{{ action }} by {{ deadline }}: {{ link }} {{ optOut }}'
html: '<p>{{ action }} by {{ deadline }}: <a href="{{ link }}">pay</a></p><p>{{ optOut }}</p>'
`;

function catalogOf(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'messaging-templates-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  return dir;
}

const problemsOf = (channel: 'SMS' | 'EMAIL', source: string): string[] => {
  const result = checkTemplate('t.v1/X.en.yaml', channel, source);
  return 'problems' in result ? result.problems : [];
};

describe('template checks', () => {
  it('accepts a template with every required part', () => {
    expect(problemsOf('SMS', SMS)).toEqual([]);
    expect(problemsOf('EMAIL', EMAIL)).toEqual([]);
  });

  it.each([
    ['deadline', SMS.replace(' by {{ deadline }}', ''), 'text is missing the deadline ({{ deadline }})'],
    ['link', SMS.replace(': {{ link }}', ''), 'text is missing the mini-app link ({{ link }})'],
    ['action', SMS.replace("'{{ action }} by", "'Due"), 'text is missing the action ({{ action }})'],
    ['opt-out', SMS.replace(' {{ optOut }}', ''), 'text is missing the opt-out text ({{ optOut }})'],
  ])('refuses an SMS template without the %s, naming the file and the part', (_part, source, problem) => {
    expect(problemsOf('SMS', source)).toEqual([`t.v1/X.en.yaml: ${problem}`]);
  });

  it('refuses an SMS opt-out that does not say STOP, and an email one without the unsubscribe link', () => {
    expect(problemsOf('SMS', SMS.replace('Reply STOP to opt out.', 'Call us to opt out.'))).toEqual([
      't.v1/X.en.yaml: optOut must tell the customer to reply STOP',
    ]);
    expect(problemsOf('EMAIL', EMAIL.replace('{{ unsubscribeUrl }}', 'https://example.com'))).toEqual([
      't.v1/X.en.yaml: optOut must give the unsubscribe link ({{ unsubscribeUrl }})',
    ]);
  });

  it('checks the html part of an email too, and wants a subject', () => {
    expect(problemsOf('EMAIL', EMAIL.replace('<a href="{{ link }}">pay</a>', 'pay'))).toEqual([
      't.v1/X.en.yaml: html is missing the mini-app link ({{ link }})',
    ]);
    expect(problemsOf('EMAIL', EMAIL.replace('subject: Your payment did not go through\n', ''))).toEqual([
      't.v1/X.en.yaml: subject is required for EMAIL',
    ]);
  });

  it('refuses a file without the action field, and a template liquid cannot parse', () => {
    expect(problemsOf('SMS', SMS.replace('action: Pay the missed amount\n', ''))[0]).toMatch(
      /^t\.v1\/X\.en\.yaml: action /,
    );
    expect(problemsOf('SMS', SMS.replace('{{ link }}', '{{ link '))[0]).toMatch(
      /text is not a valid template/,
    );
  });
});

describe('TemplateCatalog', () => {
  it('refuses to load when any template lacks a part, naming every failing file', () => {
    const dir = catalogOf({
      'pay.v1/SMS.en.yaml': SMS.replace(' {{ optOut }}', ''),
      'pay.v1/EMAIL.en.yaml': EMAIL,
      'pay.v1/notes.txt': 'x',
    });
    expect(() => TemplateCatalog.load(dir)).toThrow(TemplateCatalogError);
    try {
      TemplateCatalog.load(dir);
    } catch (error) {
      expect((error as TemplateCatalogError).problems).toEqual([
        'pay.v1/SMS.en.yaml: text is missing the opt-out text ({{ optOut }})',
        'pay.v1/notes.txt: must be named <SMS|EMAIL|WHATSAPP>.<locale>.yaml',
      ]);
    }
  });

  it('finds a template by locale, then language, then the default locale, and renders it', () => {
    const catalog = TemplateCatalog.load(
      catalogOf({
        'pay.v1/SMS.en.yaml': SMS,
        'pay.v1/SMS.fr.yaml': SMS.replace('Pay the missed amount', 'Payez'),
      }),
    );
    expect(catalog.find('pay.v1', 'SMS', 'fr-CA', 'en')?.locale).toBe('fr');
    expect(catalog.find('pay.v1', 'SMS', 'de-DE', 'en')?.locale).toBe('en');
    expect(catalog.find('pay.v1', 'EMAIL', 'en', 'en')).toBeUndefined();
    const t = catalog.find('pay.v1', 'SMS', undefined, 'en')!;
    expect(catalog.render(t, { link: 'https://app.example/l/abc', deadline: '13 Dec 2026' }).text).toBe(
      'Pay the missed amount by 13 Dec 2026: https://app.example/l/abc Reply STOP to opt out.',
    );
  });

  it('escapes values in the html part only', () => {
    const catalog = TemplateCatalog.load(catalogOf({ 'pay.v1/EMAIL.en.yaml': EMAIL }));
    const rendered = catalog.render(catalog.find('pay.v1', 'EMAIL', 'en', 'en')!, {
      link: 'https://app.example/l/a&b',
      deadline: '<soon>',
      unsubscribeUrl: 'https://app.example/l/a&b/unsubscribe',
    });
    expect(rendered.subject).toBe('Your payment did not go through');
    expect(rendered.text).toContain(
      'by <soon>: https://app.example/l/a&b Unsubscribe: https://app.example/l/a&b/unsubscribe',
    );
    expect(rendered.html).toContain('by &lt;soon&gt;: <a href="https://app.example/l/a&amp;b">');
  });

  it('the shipped templates load, with EMAIL, SMS and WHATSAPP in English for every seed workflow', () => {
    const catalog = TemplateCatalog.load(DEFAULT_TEMPLATES_DIR);
    const workflows = join(__dirname, '..', '..', '..', 'orchestrator', 'workflows');
    const templateIds = readdirSync(workflows)
      .filter((f) => f.endsWith('.yaml'))
      .map(
        (f) =>
          (parse(readFileSync(join(workflows, f), 'utf8')) as { outreach: { templateId: string } }).outreach
            .templateId,
      );
    expect(templateIds).toHaveLength(5);
    for (const id of templateIds)
      for (const channel of ['EMAIL', 'SMS', 'WHATSAPP'] as const)
        expect(catalog.find(id, channel, 'en', 'en')?.file).toBe(`${id}/${channel}.en.yaml`);
  });
});

describe('one-time code templates', () => {
  const codeProblems = (channel: 'SMS' | 'EMAIL', source: string): string[] => {
    const result = checkCodeTemplate('one-time-code/X.en.yaml', channel, source);
    return 'problems' in result ? result.problems : [];
  };

  it('the shipped ones load and render the code and its validity, with no link', () => {
    const catalog = TemplateCatalog.load(DEFAULT_TEMPLATES_DIR);
    for (const channel of ['SMS', 'EMAIL', 'WHATSAPP'] as const) {
      const template = catalog.find('one-time-code', channel, 'en-GB', 'en')!;
      expect(template.file).toBe(`one-time-code/${channel}.en.yaml`);
      const rendered = catalog.renderCode(template, { code: '123456', validMinutes: 10 });
      expect(rendered.text).toContain('123456');
      expect(rendered.text).toContain('10 minutes');
      expect(rendered.text).toMatch(/Never share it/);
      expect(rendered.subject ?? '').not.toContain('123456');
    }
    // A message template is not a code template, nor the other way round.
    const sms = catalog.find('one-time-code', 'SMS', 'en', 'en')!;
    expect(() => catalog.render(sms, { link: 'x', deadline: 'y' })).toThrow(TemplateCatalogError);
    const outreach = catalog.find('failed-payment-recovery.v1', 'SMS', 'en', 'en')!;
    expect(() => catalog.renderCode(outreach, { code: '123456', validMinutes: 10 })).toThrow(
      TemplateCatalogError,
    );
  });

  it('names what a code template lacks or must not carry', () => {
    expect(codeProblems('SMS', "text: 'Code {{ code }}'")).toEqual([
      'one-time-code/X.en.yaml: text is missing how long the code is valid ({{ validMinutes }})',
    ]);
    expect(codeProblems('SMS', "text: '{{ code }} for {{ validMinutes }} min: {{ link }}'")).toEqual([
      'one-time-code/X.en.yaml: text uses {{ link }}; a code message has only code and validMinutes',
    ]);
    expect(
      codeProblems('EMAIL', "subject: 'Code {{ code }}'\ntext: '{{ code }} {{ validMinutes }}'"),
    ).toEqual(['one-time-code/X.en.yaml: subject must not show the code (mail clients list subjects)']);
    expect(codeProblems('EMAIL', "text: '{{ code }} {{ validMinutes }}'")).toEqual([
      'one-time-code/X.en.yaml: subject is required for EMAIL',
    ]);
  });
});
