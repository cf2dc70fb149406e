/**
 * Test support: a customer's browser without JavaScript, as far as the mini-app's flows need one. It keeps the
 * mini-app's cookies, follows redirects itself, follows links, meta refreshes and HTML forms (urlencoded or multipart,
 * hidden fields included), and sends the Origin of the page a POST comes from. Like Chromium with SameSite=Strict, it
 * sends the home site's cookie only on a same-site navigation: a request at the end of a redirect chain that passed
 * through another origin (the card processor), or started from one, goes without it. Origins stand for sites here
 * (as in production, where the processor is on another site; on 127.0.0.1 only the ports differ).
 */
import { parse, type HTMLElement } from 'node-html-parser';

export interface Page {
  url: string;
  status: number;
  body: string;
  headers: Headers;
  /** Every URL fetched for this navigation, redirects included, and whether the cookie went with it. */
  hops: Array<{ url: string; status: number; cookieSent: boolean }>;
}

export interface FileField {
  name: string;
  fileName: string;
  type: string;
  bytes: Buffer;
}

export class FormBrowser {
  private cookie: string | undefined;

  constructor(private readonly home: string) {}

  /** The mini-app's session cookie as held (name=value), if any. */
  get sessionCookie(): string | undefined {
    return this.cookie;
  }

  /** A navigation typed into the address bar or opened from a message: same-site with nothing, cookie sent. */
  open(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' }, new URL(url).origin);
  }

  /** The first link on the page whose href passes `pick`, followed from the page. */
  follow(page: Page, pick: (href: string) => boolean): Promise<Page> {
    const link = parse(page.body)
      .querySelectorAll('a[href]')
      .map((a) => new URL(a.getAttribute('href')!, page.url).href)
      .find(pick);
    if (!link) throw new Error(`no such link on ${page.url}`);
    return this.navigate(link, { method: 'GET' }, new URL(page.url).origin);
  }

  /** The page's meta refresh, followed from the page. */
  refresh(page: Page): Promise<Page> {
    const meta = parse(page.body).querySelector('meta[http-equiv="refresh"]');
    const target = /url=(.+)$/i.exec(meta?.getAttribute('content') ?? '')?.[1];
    if (!target) throw new Error(`no meta refresh on ${page.url}`);
    return this.navigate(new URL(target.trim(), page.url).href, { method: 'GET' }, new URL(page.url).origin);
  }

  /**
   * Submits the first form whose action (resolved) passes `pick`, with its own fields (hidden inputs, default
   * values) overlaid by `values`, and `files` for its file inputs.
   */
  submit(
    page: Page,
    pick: (action: string) => boolean,
    values: Record<string, string> = {},
    files: FileField[] = [],
  ): Promise<Page> {
    const form = parse(page.body)
      .querySelectorAll('form')
      .find((f) => pick(new URL(f.getAttribute('action') ?? '', page.url).href));
    if (!form) throw new Error(`no such form on ${page.url}`);
    const action = new URL(form.getAttribute('action') ?? '', page.url);
    const method = (form.getAttribute('method') ?? 'get').toUpperCase();
    const fields = { ...this.fieldsOf(form), ...values };
    const origin = new URL(page.url).origin;
    if (method === 'GET') {
      action.search = new URLSearchParams(fields).toString();
      return this.navigate(action.href, { method: 'GET' }, origin);
    }
    if (form.getAttribute('enctype') === 'multipart/form-data') {
      const data = new FormData();
      for (const [name, value] of Object.entries(fields)) data.append(name, value);
      for (const f of files)
        data.append(f.name, new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.fileName);
      return this.navigate(action.href, { method: 'POST', body: data }, origin);
    }
    return this.navigate(
      action.href,
      {
        method: 'POST',
        body: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      origin,
    );
  }

  private fieldsOf(form: HTMLElement): Record<string, string> {
    const out: Record<string, string> = {};
    for (const input of form.querySelectorAll('input[name]')) {
      const type = (input.getAttribute('type') ?? 'text').toLowerCase();
      if (type === 'file' || ((type === 'checkbox' || type === 'radio') && !input.hasAttribute('checked')))
        continue;
      out[input.getAttribute('name')!] = input.getAttribute('value') ?? '';
    }
    for (const select of form.querySelectorAll('select[name]')) {
      const option =
        select.querySelector('option[selected]') ??
        select.querySelectorAll('option').find((o) => (o.getAttribute('value') ?? '') !== '');
      if (option) out[select.getAttribute('name')!] = option.getAttribute('value') ?? '';
    }
    for (const area of form.querySelectorAll('textarea[name]')) out[area.getAttribute('name')!] = area.text;
    return out;
  }

  private async navigate(
    url: string,
    init: { method: string; body?: string | FormData; headers?: Record<string, string> },
    initiator: string,
  ): Promise<Page> {
    const homeOrigin = new URL(this.home).origin;
    const hops: Page['hops'] = [];
    let crossSite = initiator !== new URL(url).origin;
    let current = url;
    let request = init;
    for (let i = 0; i < 10; i++) {
      const target = new URL(current);
      crossSite ||= target.origin !== homeOrigin && target.origin !== initiator;
      const sendCookie = target.origin === homeOrigin && !crossSite && this.cookie !== undefined;
      const res = await fetch(target, {
        method: request.method,
        redirect: 'manual',
        headers: {
          ...(request.headers ?? {}),
          ...(request.method === 'POST' ? { origin: initiator } : {}),
          ...(sendCookie ? { cookie: this.cookie! } : {}),
        },
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      hops.push({ url: target.href, status: res.status, cookieSent: sendCookie });
      if (target.origin === homeOrigin) {
        const set = res.headers.get('set-cookie');
        if (set) {
          const pair = set.split(';')[0]!;
          this.cookie = /=$/.test(pair) || /Max-Age=0/i.test(set) ? undefined : pair;
        }
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, target);
        // A redirect to another origin, or back from one, makes the chain cross-site.
        if (next.origin !== target.origin) crossSite = true;
        current = next.href;
        request = { method: res.status === 307 || res.status === 308 ? request.method : 'GET' };
        continue;
      }
      return { url: target.href, status: res.status, body: await res.text(), headers: res.headers, hops };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
