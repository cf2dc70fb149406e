import { Liquid, type Template } from 'liquidjs';
import type { Response } from 'express';
import { contentSecurityPolicy } from '@closeout/platform';
import type { Catalog, Translate } from './i18n';
import { ACTIONS, LAYOUT, LINK, MESSAGE, RETURN_BOUNCE, VERIFY_CODE, VERIFY_FACTS } from './templates';

export type PageName = 'message' | 'link' | 'verify-code' | 'verify-facts' | 'actions' | 'return-bounce';

const SOURCES: Record<PageName, string> = {
  message: MESSAGE,
  link: LINK,
  'verify-code': VERIFY_CODE,
  'verify-facts': VERIFY_FACTS,
  actions: ACTIONS,
  'return-bounce': RETURN_BOUNCE,
};

/** An error shown in the summary and by its field: `field` is the input's id. */
export interface ShownError {
  field: string;
  message: string;
}

/** Renders the pages from the templates, parsed once; every output escaped. */
export class PageRenderer {
  private readonly liquid = new Liquid({ outputEscape: 'escape', strictFilters: true, cache: true });
  private readonly templates = new Map<PageName | 'layout', Template[]>();
  readonly csp: string;

  constructor(
    readonly catalog: Catalog,
    cardProcessorOrigin?: string,
  ) {
    for (const [name, source] of Object.entries(SOURCES))
      this.templates.set(name as PageName, this.liquid.parse(source));
    this.templates.set('layout', this.liquid.parse(LAYOUT));
    this.csp = contentSecurityPolicy(cardProcessorOrigin);
  }

  translator(locale: string): Translate {
    return this.catalog.translator(locale);
  }

  /** The whole page: `page` with `data` inside the layout, in `locale`. */
  async render(
    locale: string,
    page: PageName,
    title: string,
    data: Record<string, unknown>,
    errors: readonly ShownError[] = [],
    /** A same-origin path to go to at once (meta refresh), for the processor's return page. */
    refresh?: string,
  ): Promise<string> {
    const t = this.translator(locale);
    const content = (await this.liquid.render(this.templates.get(page)!, {
      ...data,
      title,
      errors,
      summaryTitle: t('error.summary'),
    })) as string;
    return (await this.liquid.render(this.templates.get('layout')!, {
      lang: locale,
      title,
      content,
      refresh,
      hasErrors: errors.length > 0,
      t: {
        appName: t('app.name'),
        skip: t('app.skip'),
        footer: t('app.footer'),
        errorPrefix: `${t('error.summary')}: `,
      },
    })) as string;
  }

  /** Answers a rendered page with the security headers every page carries. */
  send(res: Response, status: number, html: string): void {
    res
      .status(status)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': this.csp,
      })
      .send(html);
  }

  /** A page that says what happened and what to do next. */
  async sendMessage(
    res: Response,
    locale: string,
    status: number,
    titleKey: string,
    bodyKey: string,
    vars?: Record<string, string | number>,
  ): Promise<void> {
    const t = this.translator(locale);
    const html = await this.render(locale, 'message', t(titleKey, vars), {
      body: t(bodyKey, vars),
      call: t('error.call'),
    });
    this.send(res, status, html);
  }
}
