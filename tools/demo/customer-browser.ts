/**
 * The simulated customers' browser: an HTTP client that follows the HTML it is served, the way a person's browser
 * does without JavaScript — it GETs a page, reads its forms (node-html-parser), fills the fields the customer types,
 * keeps every other field as the page set it (hidden CSRF tokens, selected options, checked boxes), posts the form to
 * its action with the page's origin as `Origin`, follows redirects (303 → GET) and keeps each origin's cookies. It
 * never builds a request the page did not offer: a field the customer means to fill that the form lacks is an error.
 *
 * The cookie jar is hand-rolled (name=value per origin, dropped on Max-Age≤0 or a past Expires): the mini-app sets one
 * host-only cookie (`__Host-…`, Path=/) and the processor none, so a library's domain and path matching would add a
 * dependency for nothing here. Nothing here logs a page, a field value or a cookie.
 */
import { parse, type HTMLElement } from 'node-html-parser';

const TIMEOUT_MS = 20_000;
const MAX_REDIRECTS = 10;

export interface Page {
  url: string;
  status: number;
  root: HTMLElement;
}

/** A file the customer attaches to a form's file input. */
export interface Attachment {
  field: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export class BrowserError extends Error {}

export class CustomerBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();
  /** Requests made, for the report's figures. */
  requests = 0;

  /** GET a URL (following redirects). */
  get(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' });
  }

  /** Follows a link of the page: `<a href>` resolved against the page's URL. */
  follow(page: Page, link: HTMLElement): Promise<Page> {
    const href = link.getAttribute('href');
    if (!href) throw new BrowserError('the link has no href');
    return this.get(new URL(href, page.url).href);
  }

  /**
   * Submits a form of the page: its fields as the page set them, with `fill` typed over them (each name must be a
   * field of the form) and `files` attached (multipart forms only).
   */
  submit(
    page: Page,
    form: HTMLElement,
    fill: Record<string, string> = {},
    files: Attachment[] = [],
  ): Promise<Page> {
    const action = new URL(form.getAttribute('action') || page.url, page.url).href;
    const method = (form.getAttribute('method') ?? 'get').toLowerCase();
    const multipart = (form.getAttribute('enctype') ?? '').toLowerCase() === 'multipart/form-data';
    const fields = formFields(form);
    const names = new Set([...fields.map(([n]) => n), ...fileInputs(form)]);
    for (const name of [...Object.keys(fill), ...files.map((f) => f.field)])
      if (!names.has(name)) throw new BrowserError(`the form has no field ${name}`);
    const values = new Map<string, string>();
    for (const [name, value] of fields) if (!values.has(name)) values.set(name, value);
    for (const [name, value] of Object.entries(fill)) values.set(name, value);
    for (const [name, value] of values) if (value === UNCHECKED) values.delete(name);
    if (method !== 'post') {
      const url = new URL(action);
      for (const [k, v] of values) url.searchParams.set(k, v);
      return this.get(url.href);
    }
    const origin = new URL(page.url).origin;
    if (multipart) {
      if (files.length === 0 && fileInputs(form).length === 0)
        throw new BrowserError('a multipart form without a file input');
      const body = new FormData();
      for (const [k, v] of values) body.append(k, v);
      for (const f of files) body.append(f.field, new Blob([f.bytes], { type: f.contentType }), f.filename);
      return this.navigate(action, { method: 'POST', body, headers: { origin } });
    }
    if (files.length > 0) throw new BrowserError('files attached to a form that is not multipart');
    return this.navigate(action, {
      method: 'POST',
      body: new URLSearchParams([...values]).toString(),
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  private async navigate(
    url: string,
    init: { method: string; body?: string | FormData; headers?: Record<string, string> },
  ): Promise<Page> {
    let current = url;
    let request = init;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const origin = new URL(current).origin;
      const cookie = this.cookieHeader(origin);
      this.requests += 1;
      const res = await fetch(current, {
        method: request.method,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { ...(request.headers ?? {}), ...(cookie ? { cookie } : {}), accept: 'text/html' },
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      this.keepCookies(origin, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        current = new URL(location, current).href;
        // 307/308 repeat the request; 301/302/303 become a GET, as browsers do.
        request = res.status === 307 || res.status === 308 ? request : { method: 'GET' };
        continue;
      }
      const html = await res.text();
      return { url: current, status: res.status, root: parse(html) };
    }
    throw new BrowserError(`more than ${MAX_REDIRECTS} redirects`);
  }

  private cookieHeader(origin: string): string {
    const jar = this.cookies.get(origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private keepCookies(origin: string, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const attr = (key: string) =>
        attributes
          .map((a) => a.trim())
          .find((a) => a.toLowerCase().startsWith(`${key}=`))
          ?.slice(key.length + 1);
      const maxAge = attr('max-age');
      const expires = attr('expires');
      const gone =
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && Date.parse(expires) <= Date.now());
      const jar = this.cookies.get(origin) ?? new Map<string, string>();
      this.cookies.set(origin, jar);
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
  }
}

/** An unchecked box or radio: a name the customer may fill (tick), not sent as it stands. */
const UNCHECKED = '\u0000unchecked';

/** The successful controls of a form as a browser sends them (files aside): hidden, text, checked, selected. */
function formFields(form: HTMLElement): [string, string][] {
  const out: [string, string][] = [];
  for (const el of form.querySelectorAll('input, select, textarea')) {
    const name = el.getAttribute('name');
    if (!name || el.hasAttribute('disabled')) continue;
    const tag = el.tagName.toLowerCase();
    if (tag === 'select') {
      const options = el.querySelectorAll('option');
      const chosen = options.find((o) => o.hasAttribute('selected')) ?? options[0];
      out.push([name, chosen ? (chosen.getAttribute('value') ?? chosen.text) : '']);
    } else if (tag === 'textarea') out.push([name, el.text]);
    else {
      const type = (el.getAttribute('type') ?? 'text').toLowerCase();
      if (['submit', 'button', 'reset', 'image', 'file'].includes(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && !el.hasAttribute('checked')) {
        // Not sent unless checked; still a field the customer may tick (filled with its value).
        out.push([name, UNCHECKED]);
        continue;
      }
      out.push([name, el.getAttribute('value') ?? (type === 'checkbox' ? 'on' : '')]);
    }
  }
  return out;
}

function fileInputs(form: HTMLElement): string[] {
  return form
    .querySelectorAll('input')
    .filter((el) => (el.getAttribute('type') ?? '').toLowerCase() === 'file')
    .map((el) => el.getAttribute('name') ?? '')
    .filter(Boolean);
}

/** The page's forms whose action is `path` (resolved against the page), in document order. */
export function formsTo(page: Page, path: string | RegExp): HTMLElement[] {
  return page.root.querySelectorAll('form').filter((f) => {
    const action = new URL(f.getAttribute('action') || page.url, page.url).pathname;
    return typeof path === 'string' ? action === path : path.test(action);
  });
}

/** The page's <h1> text, for saying where a journey stopped (no field values). */
export const headingOf = (page: Page): string => page.root.querySelector('h1')?.text.trim() ?? '';
