import { Liquid, type Template } from 'liquidjs';
import { contentSecurityPolicy } from '@closeout/platform';
import { BREAKS, CASE, EXCEPTIONS, LAYOUT, LOGIN, MESSAGE, SLO } from './templates';

export type PageName = 'login' | 'message' | 'exceptions' | 'case' | 'slo' | 'breaks';

const SOURCES: Record<PageName, string> = {
  login: LOGIN,
  message: MESSAGE,
  exceptions: EXCEPTIONS,
  case: CASE,
  slo: SLO,
  breaks: BREAKS,
};

/** An input error: the field and the rule it broke; `anchor` the input's id when the page has one. */
export interface ShownError {
  field: string;
  rule: string;
  anchor?: string;
}

/** Who is signed in, for the layout's navigation and sign-out form. */
export interface Viewer {
  operator: string;
  role: string;
  csrf: string;
}

/**
 * Every page's Content-Security-Policy (the platform's, as the mini-app's): our own origin only, no inline script or
 * style, forms post to us, never framed. uPlot and the chart script are served from /assets.
 */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export class PageRenderer {
  private readonly liquid = new Liquid({ outputEscape: 'escape', strictFilters: true, cache: true });
  private readonly templates = new Map<PageName | 'layout', Template[]>();

  constructor() {
    for (const [name, source] of Object.entries(SOURCES))
      this.templates.set(name as PageName, this.liquid.parse(source));
    this.templates.set('layout', this.liquid.parse(LAYOUT));
  }

  async render(
    page: PageName,
    title: string,
    data: Record<string, unknown>,
    options: { viewer?: Viewer; errors?: readonly ShownError[]; nav?: string; charts?: boolean } = {},
  ): Promise<string> {
    const errors = options.errors ?? [];
    const content = (await this.liquid.render(this.templates.get(page)!, {
      ...data,
      title,
      errors,
      csrf: options.viewer?.csrf ?? data['csrf'],
      canAct: options.viewer?.role === 'agent',
    })) as string;
    return (await this.liquid.render(this.templates.get('layout')!, {
      title,
      content,
      hasErrors: errors.length > 0,
      operator: options.viewer?.operator,
      role: options.viewer?.role,
      csrf: options.viewer?.csrf,
      nav: options.nav,
      charts: options.charts ?? false,
    })) as string;
  }
}
