/**
 * The HTTP fuzz corpus: a fixed list of hostile requests per route (bodies, fields, encodings, sizes, paths, queries,
 * methods, Authorization headers) and fast-check generators of more, all built from the routes' own description
 * below. Every value a case injects starts with `marker`, so an answer that quotes input is found by searching it.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { RawRequest } from './raw-http';

export type Api = 'trigger-ingest' | 'orchestrator' | 'reconciler' | 'health';
export type Service = 'trigger-ingest' | 'orchestrator' | 'reconciler' | 'writeback-rest';

export interface FuzzCase {
  api: Api;
  service: Service;
  /** What the case sends, short enough for a failure line. */
  name: string;
  request: RawRequest;
  /** The statuses this case must get; omitted: anything below 500. */
  expect?: number[];
  /** The answer must name this field (in a problem's `errors[].field` or its `detail`). */
  names?: string;
  /**
   * Refused by Node's HTTP parser before any application code (a malformed request line or header, a header block
   * over 16 KiB, an unsupported `Expect`). configureHttp answers parser errors as problem+json with nosniff (checked
   * like any other answer when it carries that header); Node's own 417 for `Expect` stays bare.
   */
  parserLevel?: boolean;
  /** May end with the connection closed and no answer (a server may stop reading an oversized upload and reset). */
  mayClose?: boolean;
  /** The bound for the answer (default 5 s); a case past it is a hang. */
  timeoutMs?: number;
}

export interface FuzzContext {
  marker: string;
  tokens: { ingest: string; ops: string; agent: string; reconciler: string };
  /** A trigger trigger-ingest accepts (202), with a fresh event id each call. */
  validTrigger: () => Record<string, unknown>;
  /** A resolution the orchestrator accepts for an exception that exists (here none does: 404). */
  validResolution: () => Record<string, unknown>;
  /** An exception id no exception has. */
  exceptionId: string;
}

interface Route {
  api: Api;
  service: Service;
  method: 'GET' | 'POST';
  /** With `{id}` where the path parameter goes. */
  path: string;
  token?: keyof FuzzContext['tokens'];
  /** The route reads a JSON body of this kind. */
  body?: 'trigger' | 'resolution' | 'ignored';
  /** Its path parameter, by name. */
  param?: string;
  /** Its query parameters and a valid value of each. */
  query?: Record<string, string>;
}

export function routes(): Route[] {
  const health = (service: Service): Route[] =>
    ['/health/live', '/health/ready', '/metrics'].map((path) => ({
      api: 'health',
      service,
      method: 'GET',
      path,
    }));
  return [
    {
      api: 'trigger-ingest',
      service: 'trigger-ingest',
      method: 'POST',
      path: '/v1/triggers',
      token: 'ingest',
      body: 'trigger',
    },
    {
      api: 'orchestrator',
      service: 'orchestrator',
      method: 'GET',
      path: '/v1/cases/{id}',
      token: 'ops',
      param: 'caseId',
    },
    {
      api: 'orchestrator',
      service: 'orchestrator',
      method: 'GET',
      path: '/v1/exceptions',
      token: 'ops',
      query: {
        status: 'OPEN',
        queue: 'payments-ops',
        kind: 'writeback_failed',
        workflowId: 'failed-payment-recovery',
        openedAfter: '2024-01-01T00:00:00Z',
        limit: '10',
      },
    },
    {
      api: 'orchestrator',
      service: 'orchestrator',
      method: 'POST',
      path: `/v1/exceptions/{id}/resolve`,
      token: 'agent',
      body: 'resolution',
      param: 'exceptionId',
    },
    { api: 'reconciler', service: 'reconciler', method: 'GET', path: '/v1/slo', token: 'reconciler' },
    {
      api: 'reconciler',
      service: 'reconciler',
      method: 'GET',
      path: '/v1/breaks',
      token: 'reconciler',
      query: { status: 'open', kind: 'POSTED_TWICE', destination: 'core-banking-rest' },
    },
    {
      api: 'reconciler',
      service: 'reconciler',
      method: 'GET',
      path: '/v1/alerts',
      token: 'reconciler',
      query: { status: 'all' },
    },
    {
      api: 'reconciler',
      service: 'reconciler',
      method: 'POST',
      path: '/v1/reconcile',
      token: 'reconciler',
      body: 'ignored',
    },
    ...health('trigger-ingest'),
    ...health('orchestrator'),
    ...health('reconciler'),
    ...health('writeback-rest'),
  ];
}

const JSON_CT: [string, string] = ['Content-Type', 'application/json'];

/** `{id}` filled with a harmless id of the route's kind, or `raw` (already encoded). */
function pathOf(route: Route, ctx: FuzzContext, raw?: string): string {
  const id = raw ?? (route.param === 'exceptionId' ? ctx.exceptionId : `${ctx.marker}-case`);
  return route.path.replace('{id}', id);
}

function auth(route: Route, ctx: FuzzContext): Array<[string, string]> {
  return route.token ? [['Authorization', `Bearer ${ctx.tokens[route.token]}`]] : [];
}

function validBody(route: Route, ctx: FuzzContext): Record<string, unknown> {
  return route.body === 'trigger'
    ? ctx.validTrigger()
    : route.body === 'resolution'
      ? ctx.validResolution()
      : {};
}

/** Raw JSON text with `"@@N@@"` placeholders replaced by literal number text JSON.stringify cannot write. */
function withRaw(value: unknown, raws: string[]): string {
  let text = JSON.stringify(value);
  raws.forEach((raw, i) => (text = text.replace(`"@@${i}@@"`, raw)));
  return text;
}

/** Sets `path` (dotted) in a copy of `obj`; `undefined` deletes it. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const deep = (n: number, open: string, close: string, inner = '1'): string =>
  open.repeat(n) + inner + close.repeat(n);

/** The string fields of each body and whether the field takes free text (where emoji, RTL marks are legitimate). */
const TRIGGER_STRINGS: Array<[string, 'id' | 'text' | 'other']> = [
  ['sourceSystem', 'id'],
  ['eventId', 'id'],
  ['eventType', 'id'],
  ['occurredAt', 'other'],
  ['customer.customerId', 'id'],
  ['customer.accountId', 'id'],
  ['customer.locale', 'other'],
  ['customer.timeZone', 'other'],
  ['amount.currency', 'other'],
  ['attributes.customerNote', 'text'],
];
const TRIGGER_NUMBERS = ['eventVersion', 'amount.amountMinor'];
const TRIGGER_FIELDS = [
  ...TRIGGER_STRINGS.map(([f]) => f),
  ...TRIGGER_NUMBERS,
  'customer',
  'amount',
  'attributes',
];
const RESOLUTION_STRINGS: Array<[string, 'id' | 'text' | 'other']> = [
  ['resolution', 'other'],
  ['agentId', 'other'],
  ['note', 'text'],
];

/** Hostile strings, each starting with the marker; `bad` when no string field may take it. */
function hostileStrings(m: string): Array<{ label: string; value: string; bad: 'always' | 'not-text' }> {
  return [
    { label: 'NUL', value: `${m}\u0000x`, bad: 'always' },
    { label: 'NUL only', value: `\u0000${m}`, bad: 'always' },
    { label: 'C0 control', value: `${m}\u0001\u0007`, bad: 'always' },
    { label: 'ANSI escape', value: `${m}\u001b[31mred`, bad: 'always' },
    { label: 'DEL', value: `${m}\u007f`, bad: 'always' },
    { label: 'lone high surrogate', value: `${m}\ud800`, bad: 'always' },
    { label: 'lone low surrogate', value: `\udc00${m}`, bad: 'always' },
    { label: 'reversed surrogates', value: `${m}\udc00\ud800`, bad: 'always' },
    { label: 'RTL override', value: `${m}\u202egpj.exe`, bad: 'not-text' },
    { label: 'emoji', value: `${m}😀👩‍👩‍👧`, bad: 'not-text' },
    { label: 'zero-width and BOM', value: `${m}\u200b\ufeff`, bad: 'not-text' },
    { label: 'line separator', value: `${m}\u2028`, bad: 'not-text' },
    { label: 'CRLF', value: `${m}\r\nSet-Cookie: x=1`, bad: 'not-text' },
    { label: 'SQL', value: `${m}'; DROP TABLE x; --`, bad: 'not-text' },
    { label: 'HTML', value: `${m}<script>alert(1)</script>`, bad: 'not-text' },
    { label: '129 chars', value: `${m}${'a'.repeat(129)}`, bad: 'not-text' },
    { label: '3 KB', value: `${m}${'a'.repeat(3_000)}`, bad: 'always' },
    { label: '100 KB', value: `${m}${'é'.repeat(50_000)}`, bad: 'always' },
  ];
}

const NON_STRINGS: Array<[string, unknown]> = [
  ['null', null],
  ['number', 12345],
  ['boolean', true],
  ['array', ['x']],
  ['object', { a: 'x' }],
  ['empty string', ''],
];

/** Number literals as JSON text, around the float limits. */
const NUMBER_LITERALS = [
  '4503599627370496', // 2^52
  '4503599627370497',
  '6755399441055745',
  '9007199254740991', // 2^53 − 1
  '9007199254740992', // 2^53
  '9007199254740993',
  '-9007199254740993',
  '999999999999999',
  '1000000000000000',
  '1e308',
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '-1',
  '0',
  '1.5',
  '4599.0',
  '1e3',
  '0.1e1',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"4599"',
  '"0x10"',
  'null',
  'true',
  '[]',
  '{}',
];

/** The literals both trigger numbers (amountMinor, eventVersion) must refuse. */
const REFUSED_NUMBERS = new Set([
  '4503599627370496',
  '4503599627370497',
  '6755399441055745',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '1000000000000000',
  '1e308',
  '1e400',
  '-1e400',
  '-1',
  '1.5',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"4599"',
  '"0x10"',
  'true',
  '[]',
  '{}',
]);

export function fixedCases(ctx: FuzzContext): FuzzCase[] {
  const m = ctx.marker;
  const cases: FuzzCase[] = [];
  const all = routes();
  const v1 = all.filter((r) => r.token);
  const withBody = all.filter((r) => r.body);
  const add = (route: Route, name: string, request: Partial<RawRequest>, extra: Partial<FuzzCase> = {}) =>
    cases.push({
      api: route.api,
      service: route.service,
      name: `${route.method} ${route.path}: ${name}`,
      request: { method: route.method, path: pathOf(route, ctx), headers: auth(route, ctx), ...request },
      ...extra,
    });
  const post = (
    route: Route,
    name: string,
    body: Buffer | string,
    headers: Array<[string, string]>,
    extra: Partial<FuzzCase> = {},
  ) => add(route, name, { method: 'POST', body, headers: [...auth(route, ctx), ...headers] }, extra);

  // ---- Authorization: missing, malformed, oversized, another service's, two headers.
  for (const route of v1) {
    const valid = ctx.tokens[route.token!];
    const other = route.token === 'ingest' ? ctx.tokens.ops : ctx.tokens.ingest;
    const body = route.body ? JSON.stringify(validBody(route, ctx)) : undefined;
    const send = (
      name: string,
      headers: Array<[string, string]>,
      expect: number[] | undefined,
      extra: Partial<FuzzCase> = {},
    ) =>
      add(
        route,
        `auth ${name}`,
        { headers: [...headers, ...(body ? [JSON_CT] : [])], ...(body ? { body } : {}) },
        { ...(expect ? { expect } : {}), ...extra },
      );
    send('none', [], [401]);
    send('"Bearer"', [['Authorization', 'Bearer']], [401]);
    send('"Bearer "', [['Authorization', 'Bearer ']], [401]);
    send('lowercase bearer', [['Authorization', `bearer ${valid}`]], [401]);
    send('BEARER', [['Authorization', `BEARER ${valid}`]], [401]);
    send('two spaces', [['Authorization', `Bearer  ${valid}`]], [401]);
    send('token + suffix', [['Authorization', `Bearer ${valid} ${m}`]], [401]);
    send('token prefix only', [['Authorization', `Bearer ${valid.slice(0, -1)}`]], [401]);
    send(
      'Basic',
      [['Authorization', `Basic ${Buffer.from(`core-billing:${valid}`).toString('base64')}`]],
      [401],
    );
    send('Digest', [['Authorization', `Digest username="${m}"`]], [401]);
    send('2 KB bearer', [['Authorization', `Bearer ${m}${'A'.repeat(2048)}`]], [401]);
    send('8 KB bearer', [['Authorization', `Bearer ${m}${'A'.repeat(8192)}`]], [401]);
    send('marker bearer', [['Authorization', `Bearer ${m}`]], [401]);
    send('latin-1 bytes in token', [['Authorization', `Bearer ${m}\u00e9\u00ff`]], [401]);
    send("another service's token", [['Authorization', `Bearer ${other}`]], [401]);
    send(
      'junk then valid header',
      [
        ['Authorization', `Bearer ${m}`],
        ['Authorization', `Bearer ${valid}`],
      ],
      [401],
    );
    send(
      'valid then junk header',
      [
        ['Authorization', `Bearer ${valid}`],
        ['Authorization', `Bearer ${m}`],
      ],
      undefined,
    );
    send('token in query string', [], [401]);
    cases[cases.length - 1]!.request.path += `?access_token=${valid}`;
    send('20 KB header block', [['Authorization', `Bearer ${m}${'A'.repeat(20_000)}`]], [431], {
      parserLevel: true,
    });
    send('NUL in header', [['Authorization', `Bearer ${m}\u0000`]], [400], { parserLevel: true });
    send(
      'obs-fold header',
      [
        ['Authorization', `Bearer`],
        [' ', valid],
      ],
      [400],
      { parserLevel: true },
    );
    // Unauthenticated with a body the server must not read.
    add(
      route,
      'auth none, 300 KB JSON',
      { method: 'POST', headers: [JSON_CT], body: `{"a":"${m}${'x'.repeat(300_000)}"}` },
      { expect: [401], mayClose: true },
    );
    add(
      route,
      'auth none, form body',
      { method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: `a=${m}` },
      { expect: [401] },
    );
    add(
      route,
      'auth none, declared 10 MB, Expect: 100-continue',
      {
        method: 'POST',
        headers: [JSON_CT, ['Content-Length', String(10 * 1024 * 1024)], ['Expect', '100-continue']],
      },
      { expect: [401] },
    );
    // Path spelled otherwise: the guard must still hold.
    add(
      route,
      'auth none, upper-case /V1',
      { headers: [], path: pathOf(route, ctx).replace('/v1/', '/V1/') },
      { expect: [401, 404] },
    );
    add(route, 'auth none, //v1', { headers: [], path: `/${pathOf(route, ctx)}` }, { expect: [401, 404] });
    add(
      route,
      'auth none, trailing slash',
      { headers: [], path: `${pathOf(route, ctx)}/` },
      { expect: [401, 404] },
    );
    add(
      route,
      'auth none, /v1/./',
      { headers: [], path: pathOf(route, ctx).replace('/v1/', '/v1/./') },
      { expect: [401, 404] },
    );
    add(
      route,
      'auth none, %76%31',
      { headers: [], path: pathOf(route, ctx).replace('/v1/', '/%76%31/') },
      { expect: [401, 404] },
    );
  }

  // ---- Method confusion on every route, with and without credentials.
  for (const route of all) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND']) {
      if (method === route.method) continue;
      const body =
        method === 'POST' || method === 'PUT' || method === 'PATCH' ? JSON.stringify({ a: m }) : undefined;
      const headers: Array<[string, string]> = body ? [JSON_CT] : [];
      add(route, `${method} with credentials`, {
        method,
        headers: [...auth(route, ctx), ...headers],
        ...(body ? { body } : {}),
      });
      if (route.token)
        add(
          route,
          `${method} without credentials`,
          { method, headers, ...(body ? { body } : {}) },
          { expect: [401] },
        );
    }
    add(route, 'unknown method FOO', { method: 'FOO' }, { parserLevel: true });
    add(route, 'lower-case method', { method: route.method.toLowerCase() }, { parserLevel: true });
  }

  // ---- Request line and framing.
  for (const route of [all[0]!, all[3]!, all[7]!, all[8]!]) {
    add(route, 'no Host', { host: false }, { expect: [400], parserLevel: true });
    add(route, 'absolute-form URI', { path: `http://${m}.example${pathOf(route, ctx)}` });
    add(route, 'asterisk-form', { path: '*' });
    add(route, 'space in path', { path: `${pathOf(route, ctx)} x` }, { parserLevel: true });
    add(
      route,
      'Content-Length and Transfer-Encoding',
      {
        method: 'POST',
        headers: [...auth(route, ctx), JSON_CT, ['Content-Length', '5'], ['Transfer-Encoding', 'chunked']],
        body: '0\r\n\r\n',
      },
      { expect: [400], parserLevel: true },
    );
    add(
      route,
      'two Content-Lengths',
      {
        method: 'POST',
        headers: [...auth(route, ctx), JSON_CT, ['Content-Length', '2'], ['Content-Length', '3']],
        body: '{}',
      },
      { expect: [400], parserLevel: true },
    );
    add(
      route,
      'Content-Length not a number',
      {
        method: 'POST',
        headers: [...auth(route, ctx), JSON_CT, ['Content-Length', 'abc']],
        body: '{}',
      },
      { expect: [400], parserLevel: true },
    );
    add(
      route,
      'negative Content-Length',
      {
        method: 'POST',
        headers: [...auth(route, ctx), JSON_CT, ['Content-Length', '-1']],
        body: '{}',
      },
      { expect: [400], parserLevel: true },
    );
    add(
      route,
      'bad chunk size',
      {
        method: 'POST',
        headers: [...auth(route, ctx), JSON_CT, ['Transfer-Encoding', 'chunked']],
        body: 'zz\r\n{}\r\n0\r\n\r\n',
      },
      { expect: [400], parserLevel: true },
    );
    add(
      route,
      'Expect: nonsense',
      { headers: [...auth(route, ctx), ['Expect', `${m}-continue`]] },
      { expect: [417], parserLevel: true },
    );
    add(route, '200 headers', {
      headers: [
        ...auth(route, ctx),
        ...Array.from({ length: 200 }, (_, i): [string, string] => [`X-F${i}`, `${m}`]),
      ],
    });
    add(route, '8 KB header value', {
      headers: [...auth(route, ctx), ['X-Junk', `${m}${'z'.repeat(8_000)}`]],
    });
  }

  // ---- Paths: percent-encoding errors, controls, overlong, traversal — in the id and around it.
  const idPaths: Array<{ label: string; raw: string; expect?: number[]; parserLevel?: boolean }> = [
    { label: '%zz', raw: `${m}%zz`, expect: [400] },
    { label: 'trailing %', raw: `${m}%`, expect: [400] },
    { label: '%00', raw: `${m}%00`, expect: [400] },
    { label: '%00 only', raw: '%00', expect: [400] },
    { label: '%c0%80 (overlong NUL)', raw: `${m}%c0%80`, expect: [400] },
    { label: '%ed%a0%80 (encoded surrogate)', raw: `${m}%ed%a0%80`, expect: [400] },
    { label: '%ff', raw: `${m}%ff`, expect: [400] },
    { label: '%01 %1b %7f', raw: `${m}%01%1b%7f`, expect: [400] },
    { label: '%0d%0a', raw: `${m}%0d%0aSet-Cookie:%20x=1`, expect: [400] },
    { label: '%u0000', raw: `${m}%u0000`, expect: [400] },
    { label: 'RTL override', raw: `${m}%e2%80%ae`, expect: [400] },
    { label: 'emoji', raw: `${m}%f0%9f%98%80`, expect: [400] },
    { label: '%20', raw: `${m}%20x`, expect: [400] },
    { label: '%2f', raw: `${m}%2fx`, expect: [400] },
    { label: '..%2f..%2f', raw: `..%2f..%2f${m}`, expect: [400] },
    { label: '%2e%2e', raw: '%2e%2e', expect: [400, 404] },
    { label: 'SQL', raw: `${m}'%20OR%201=1--`, expect: [400] },
    { label: '129 chars', raw: `${m}${'a'.repeat(129)}`, expect: [400] },
    { label: '300 chars', raw: `${m}${'a'.repeat(300)}`, expect: [400] },
    { label: '5 KB', raw: `${m}${'a'.repeat(5_000)}`, expect: [400] },
    { label: '10 KB', raw: `${m}${'a'.repeat(10_000)}`, expect: [400] },
    { label: '20 KB', raw: `${m}${'a'.repeat(20_000)}`, expect: [431], parserLevel: true },
    { label: 'NUL byte raw', raw: `${m}\u0000`, expect: [400], parserLevel: true },
    { label: 'DEL byte raw', raw: `${m}\u007f`, parserLevel: true },
    { label: 'UTF-8 bytes raw', raw: `${m}\u00c3\u00a9`, parserLevel: true },
    { label: 'matrix param', raw: `${m};a=b` },
    { label: 'empty', raw: '', expect: [404] },
  ];
  for (const route of all.filter((r) => r.param)) {
    for (const p of idPaths)
      add(
        route,
        `path id ${p.label}`,
        { path: pathOf(route, ctx, p.raw) },
        {
          ...(p.expect ? { expect: p.expect } : {}),
          ...(p.parserLevel ? { parserLevel: true } : {}),
        },
      );
  }
  for (const route of all.filter((r) => !r.param)) {
    for (const suffix of ['%00', '%zz', '%c0%80', '/%00', `;${m}`, `/${m}`, '/..%2f..%2fetc%2fpasswd'])
      add(
        route,
        `path + ${suffix.replace(m, 'marker')}`,
        { path: `${route.path}${suffix}` },
        { expect: [400, 404] },
      );
  }

  // ---- Queries: every known parameter with hostile values, repeated, nested, unknown, too many, too long.
  const queryValues: Array<{ label: string; raw: string; expect?: number[] }> = [
    { label: '%00', raw: `${m}%00`, expect: [400] },
    { label: '%00 only', raw: '%00', expect: [400] },
    { label: 'C0 controls', raw: `${m}%01%1b%7f`, expect: [400] },
    { label: '%0d%0a', raw: `${m}%0d%0a`, expect: [400] },
    { label: '%ed%a0%80', raw: `${m}%ed%a0%80` },
    { label: '%c0%80', raw: `${m}%c0%80` },
    { label: '%zz', raw: `${m}%zz` },
    { label: 'RTL override', raw: `${m}%e2%80%ae` },
    { label: 'emoji', raw: `${m}%f0%9f%98%80` },
    { label: 'empty', raw: '' },
    { label: 'marker', raw: m },
    { label: '129 chars', raw: `${m}${'a'.repeat(129)}` },
    { label: '600 chars', raw: `${m}${'a'.repeat(600)}`, expect: [400] },
    { label: '5 KB', raw: `${m}${'a'.repeat(5_000)}`, expect: [400] },
    { label: '1e308', raw: '1e308' },
    { label: '-0', raw: '-0' },
    { label: '2^53+1', raw: '9007199254740993' },
    { label: 'NaN', raw: 'NaN' },
    { label: 'Infinity', raw: 'Infinity' },
    { label: '0x10', raw: '0x10' },
    { label: '5.5', raw: '5.5' },
    { label: '-1', raw: '-1' },
    { label: 'date 9999', raw: '9999-12-31T23:59:59Z' },
    { label: 'date +275760', raw: '%2B275760-09-13T00:00:00Z' },
    { label: 'date month 13', raw: '2024-13-45T99:99:99Z' },
  ];
  for (const route of all.filter((r) => r.query)) {
    const valid = new URLSearchParams(route.query).toString();
    for (const key of Object.keys(route.query!)) {
      for (const v of queryValues)
        add(
          route,
          `query ${key}=${v.label}`,
          { path: `${route.path}?${key}=${v.raw}` },
          v.expect ? { expect: v.expect } : {},
        );
      add(
        route,
        `query ${key} repeated`,
        { path: `${route.path}?${key}=${route.query![key]}&${key}=${m}` },
        { expect: [400] },
      );
      add(route, `query ${key}[]`, { path: `${route.path}?${key}[]=${m}` });
      add(route, `query ${key}[a][b]`, { path: `${route.path}?${key}[a][b]=${m}` });
      add(route, `query ${key} without =`, { path: `${route.path}?${key}` });
    }
    add(route, 'query all valid', { path: `${route.path}?${valid}` }, { expect: [200] });
    add(route, 'query unknown param', { path: `${route.path}?${m}=1` });
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])
      add(route, `query ${key}`, { path: `${route.path}?${key}=${m}` });
    add(route, 'query __proto__[x]', { path: `${route.path}?__proto__[status]=${m}` });
    add(
      route,
      'query 33 params',
      { path: `${route.path}?${Array.from({ length: 33 }, (_, i) => `p${i}=${m}`).join('&')}` },
      { expect: [400] },
    );
    add(route, 'query 65-char name', { path: `${route.path}?${m}${'k'.repeat(65)}=1` }, { expect: [400] });
    add(route, 'query name %00', { path: `${route.path}?%00${m}=1` }, { expect: [400] });
    add(route, 'query 5 KB', { path: `${route.path}?x=${m}${'q'.repeat(5_000)}` }, { expect: [400] });
    add(route, 'query only ?', { path: `${route.path}?` });
    add(route, 'query &&&', { path: `${route.path}?&&&=&=` });
  }
  // Queries on the routes that read none.
  for (const route of all.filter((r) => !r.query)) {
    add(route, 'query %00', { path: `${pathOf(route, ctx)}?x=${m}%00` }, { expect: [400] });
    add(route, 'query repeated', { path: `${pathOf(route, ctx)}?x=1&x=${m}` }, { expect: [400] });
    add(route, 'query 5 KB', { path: `${pathOf(route, ctx)}?x=${m}${'q'.repeat(5_000)}` }, { expect: [400] });
  }

  // ---- Bodies: syntax, types, encodings, sizes, depth — on every route that reads one, with valid credentials.
  const bodies: Array<{
    label: string;
    body: Buffer | string;
    headers?: Array<[string, string]>;
    expect?: number[];
    mayClose?: boolean;
    parserLevel?: boolean;
  }> = [
    { label: 'invalid JSON', body: `{"a":"${m}"`, expect: [400] },
    { label: 'trailing garbage', body: `{"a":"${m}"}garbage`, expect: [400] },
    { label: 'two documents', body: `{"a":"${m}"} {}`, expect: [400] },
    { label: 'single quotes', body: `{'a':'${m}'}`, expect: [400] },
    { label: 'NaN literal', body: `{"a":NaN,"b":"${m}"}`, expect: [400] },
    { label: 'hex literal', body: `{"a":0x10,"b":"${m}"}`, expect: [400] },
    { label: 'leading zero', body: `{"a":01,"b":"${m}"}`, expect: [400] },
    { label: 'comment', body: `{/*${m}*/}`, expect: [400] },
    { label: 'raw control char in string', body: `{"a":"${m}\u0001"}`, expect: [400] },
    { label: 'escaped NUL', body: `{"a":"${m}\\u0000"}`, expect: [400] },
    { label: 'escaped NUL in key', body: `{"${m}\\u0000":"x"}`, expect: [400] },
    { label: 'escaped lone surrogate', body: `{"a":"${m}\\ud800"}`, expect: [400] },
    { label: 'escaped lone surrogate in key', body: `{"${m}\\udfff":"x"}`, expect: [400] },
    {
      label: 'invalid UTF-8 bytes',
      body: Buffer.concat([
        Buffer.from(`{"a":"${m}`),
        Buffer.from([0xff, 0xfe, 0xc0, 0x80]),
        Buffer.from('"}'),
      ]),
    },
    {
      label: 'CESU-8 surrogate bytes',
      body: Buffer.concat([Buffer.from(`{"a":"${m}`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    },
    { label: 'BOM', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"a":"${m}"}`)]) },
    { label: 'empty, Content-Length 0', body: '' },
    { label: 'whitespace only', body: '   \n\t ', expect: [400] },
    { label: 'null', body: 'null', expect: [400] },
    { label: 'string', body: `"${m}"`, expect: [400] },
    { label: 'number', body: '1', expect: [400] },
    { label: 'true', body: 'true', expect: [400] },
    { label: 'empty object', body: '{}' },
    { label: 'empty array', body: '[]' },
    { label: 'array of strings', body: `["${m}"]` },
    {
      label: 'chunked',
      body: `${(8 + m.length).toString(16)}\r\n{"a":"${m}"}\r\n0\r\n\r\n`,
      headers: [['Transfer-Encoding', 'chunked']],
    },
    {
      label: 'chunked with trailer',
      body: `2\r\n{}\r\n0\r\nX-T: ${m}\r\n\r\n`,
      headers: [['Transfer-Encoding', 'chunked']],
    },
    { label: 'depth 31 (allowed)', body: deep(31, '[', ']') },
    { label: 'depth 33 arrays', body: deep(33, '[', ']'), expect: [400] },
    { label: '10k-deep arrays', body: deep(10_000, '[', ']'), expect: [400] },
    { label: '10k-deep objects', body: deep(10_000, '{"a":', '}'), expect: [400] },
    { label: '10k-deep unclosed', body: '['.repeat(10_000), expect: [400] },
    { label: '100k-deep arrays', body: deep(100_000, '[', ']'), expect: [400] },
    { label: 'brackets inside a string', body: `{"a":"${m}${'['.repeat(10_000)}"}` },
    { label: 'escaped quote then brackets', body: `{"a":"${m}\\"${'{'.repeat(100)}"}` },
    { label: '300 KB', body: `{"a":"${m}${'x'.repeat(300_000)}"}`, expect: [413], mayClose: true },
    { label: '2 MB', body: `{"a":"${m}${'x'.repeat(2 * 1024 * 1024)}"}`, expect: [413], mayClose: true },
    {
      label: '230 KB of keys',
      body: JSON.stringify(Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`${m}${i}`, i]))),
    },
    { label: '100k-element array', body: `[${Array.from({ length: 100_000 }, () => '0').join(',')}]` },
    // The rest is read as a second, malformed request, which Node's parser may answer before the first.
    {
      label: 'declared shorter than sent',
      body: `{"a":"${m}"}`,
      headers: [['Content-Length', '3']],
      parserLevel: true,
    },
    // Content types.
    { label: 'no content type', body: `{"a":"${m}"}`, headers: [['Content-Type', '']], expect: [415] },
    { label: 'text/plain', body: `{"a":"${m}"}`, headers: [['Content-Type', 'text/plain']], expect: [415] },
    {
      label: 'form',
      body: `a=${m}&b[c]=1`,
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      expect: [415],
    },
    {
      label: 'multipart',
      body: `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n${m}\r\n--x--\r\n`,
      headers: [['Content-Type', 'multipart/form-data; boundary=x']],
      expect: [415],
    },
    {
      label: 'application/xml',
      body: `<a>${m}</a>`,
      headers: [['Content-Type', 'application/xml']],
      expect: [415],
    },
    {
      label: 'vnd+json',
      body: `{"a":"${m}"}`,
      headers: [['Content-Type', 'application/vnd.api+json']],
      expect: [415],
    },
    {
      label: 'json-patch',
      body: `[{"op":"add","path":"/a","value":"${m}"}]`,
      headers: [['Content-Type', 'application/json-patch+json']],
      expect: [415],
    },
    {
      label: 'content type junk',
      body: `{"a":"${m}"}`,
      headers: [['Content-Type', `${m}/;;;=`]],
      expect: [415],
    },
    {
      label: 'charset=utf-16',
      body: Buffer.from(`{"a":"${m}"}`, 'utf16le'),
      headers: [['Content-Type', 'application/json; charset=utf-16']],
    },
    {
      label: 'charset=utf-16le',
      body: Buffer.from(`{"a":"${m}"}`, 'utf16le'),
      headers: [['Content-Type', 'application/json; charset=utf-16le']],
    },
    {
      label: 'charset=latin1',
      body: Buffer.from(`{"a":"${m}é"}`, 'latin1'),
      headers: [['Content-Type', 'application/json; charset=latin1']],
      expect: [415],
    },
    {
      label: 'charset=iso-8859-1',
      body: Buffer.from(`{"a":"${m}é"}`, 'latin1'),
      headers: [['Content-Type', 'application/json; charset=iso-8859-1']],
      expect: [415],
    },
    {
      label: 'charset=utf-32',
      body: `{"a":"${m}"}`,
      headers: [['Content-Type', 'application/json; charset=utf-32']],
      expect: [400, 415],
    },
    {
      label: 'charset=marker',
      body: `{"a":"${m}"}`,
      headers: [['Content-Type', `application/json; charset=${m}`]],
      expect: [415],
    },
    {
      label: 'two content types',
      body: `{"a":"${m}"}`,
      headers: [
        ['Content-Type', 'text/plain'],
        ['Content-Type', 'application/json'],
      ],
    },
    // Content encodings.
    {
      label: 'gzip garbage',
      body: `${m}garbage`,
      headers: [['Content-Encoding', 'gzip']],
      expect: [400, 415],
    },
    {
      label: 'deflate garbage',
      body: `${m}garbage`,
      headers: [['Content-Encoding', 'deflate']],
      expect: [400, 415],
    },
    { label: 'br garbage', body: `${m}garbage`, headers: [['Content-Encoding', 'br']], expect: [400, 415] },
    {
      label: 'truncated gzip',
      body: gzipSync(`{"a":"${m}"}`).subarray(0, 12),
      headers: [['Content-Encoding', 'gzip']],
      expect: [400, 415],
    },
    { label: 'gzip of valid JSON', body: gzipSync(`{"a":"${m}"}`), headers: [['Content-Encoding', 'gzip']] },
    {
      label: 'deflate of valid JSON',
      body: deflateSync(`{"a":"${m}"}`),
      headers: [['Content-Encoding', 'deflate']],
    },
    {
      label: 'br of valid JSON',
      body: brotliCompressSync(`{"a":"${m}"}`),
      headers: [['Content-Encoding', 'br']],
    },
    {
      label: 'gzip bomb (64 MB)',
      body: gzipSync(
        Buffer.concat([Buffer.from(`{"a":"${m}`), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]),
      ),
      headers: [['Content-Encoding', 'gzip']],
      expect: [413, 415],
    },
    {
      label: 'gzip, gzip',
      body: gzipSync(gzipSync(`{"a":"${m}"}`)),
      headers: [['Content-Encoding', 'gzip, gzip']],
      expect: [400, 415],
    },
    {
      label: 'unknown encoding',
      body: `{"a":"${m}"}`,
      headers: [['Content-Encoding', `x-${m}`]],
      expect: [415],
    },
    { label: 'identity', body: `{"a":"${m}"}`, headers: [['Content-Encoding', 'identity']] },
  ];
  for (const route of withBody) {
    for (const b of bodies) {
      const headers = b.headers ?? [];
      const ct = headers.some(([n]) => n === 'Content-Type')
        ? headers.filter(([, v]) => v !== '')
        : [JSON_CT, ...headers];
      post(route, `body ${b.label}`, b.body, ct, {
        ...(b.expect ? { expect: b.expect } : {}),
        ...(b.mayClose ? { mayClose: true } : {}),
        ...(b.parserLevel ? { parserLevel: true } : {}),
      });
    }
    // The route's own body shape inverted.
    post(route, 'body array of the valid body', JSON.stringify([validBody(route, ctx)]), [JSON_CT]);
  }
  // Bodies on routes that read none: the parser still runs.
  for (const route of all.filter((r) => !r.body && r.method === 'GET')) {
    add(
      route,
      'GET with invalid JSON body',
      { headers: [...auth(route, ctx), JSON_CT], body: `{"a":"${m}"` },
      { expect: [400] },
    );
    add(
      route,
      'GET with 10k-deep body',
      { headers: [...auth(route, ctx), JSON_CT], body: deep(10_000, '[', ']') },
      { expect: [400] },
    );
    add(
      route,
      'GET with text body',
      { headers: [...auth(route, ctx), ['Content-Type', 'text/plain']], body: m },
      { expect: [415] },
    );
  }

  // ---- Fields of the trigger and of the resolution: hostile strings, wrong types, numbers, null, missing, extra.
  const fieldCases = (route: Route, strings: typeof TRIGGER_STRINGS, numbers: string[], fields: string[]) => {
    const base = () => validBody(route, ctx);
    const leaf = (f: string) => f.split('.').pop()!;
    for (const [field, kind] of strings) {
      for (const s of hostileStrings(m)) {
        const mustRefuse = s.bad === 'always' || kind !== 'text';
        post(route, `field ${field} ${s.label}`, JSON.stringify(setPath(base(), field, s.value)), [JSON_CT], {
          // A refusal must name the field; an accepted one is fine where free text allows it.
          ...(mustRefuse ? { names: leaf(field) } : {}),
          ...(mustRefuse && route.body === 'trigger' ? { expect: [400, 413] } : {}),
        });
      }
      for (const [label, value] of NON_STRINGS)
        post(route, `field ${field} ${label}`, JSON.stringify(setPath(base(), field, value)), [JSON_CT]);
    }
    for (const field of numbers) {
      for (const lit of NUMBER_LITERALS)
        post(route, `field ${field} = ${lit}`, withRaw(setPath(base(), field, '@@0@@'), [lit]), [JSON_CT], {
          // Out of range for both numbers (an amount is at most 10^15 − 1, a version 1..1000), or not an integer.
          ...(REFUSED_NUMBERS.has(lit) ? { expect: [400], names: leaf(field) } : {}),
        });
      // The review's 500: an amount between 2^52 and 2^53.
      post(
        route,
        `field ${field} = 2^52 + 0.5`,
        withRaw(setPath(base(), field, '@@0@@'), ['4503599627370496.5']),
        [JSON_CT],
        {
          expect: [400, 422],
          names: leaf(field),
        },
      );
    }
    for (const field of fields) {
      post(route, `field ${field} null`, JSON.stringify(setPath(base(), field, null)), [JSON_CT]);
      post(route, `field ${field} missing`, JSON.stringify(setPath(base(), field, undefined)), [JSON_CT]);
      post(route, `field ${field} array`, JSON.stringify(setPath(base(), field, [m])), [JSON_CT]);
      post(route, `field ${field} object`, JSON.stringify(setPath(base(), field, { [m]: m })), [JSON_CT]);
    }
    const v = base();
    post(route, 'unknown top-level field', JSON.stringify({ ...v, [m]: m }), [JSON_CT], { expect: [400] });
    const first = Object.keys(v)[0]!;
    post(route, 'duplicate key, first hostile', `{"${first}":"${m}\\u0000",${JSON.stringify(v).slice(1)}`, [
      JSON_CT,
    ]);
    post(
      route,
      'duplicate key, last hostile',
      `${JSON.stringify(v).slice(0, -1)},"${first}":"${m}\\u0000"}`,
      [JSON_CT],
      {
        expect: [400],
        names: first,
      },
    );
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      post(route, `${key} key top-level`, `{"${key}":{"polluted":"${m}"},${JSON.stringify(v).slice(1)}`, [
        JSON_CT,
      ]);
      post(route, `${key} key as string`, `{"${key}":"${m}",${JSON.stringify(v).slice(1)}`, [JSON_CT]);
    }
    post(
      route,
      'all fields null',
      JSON.stringify(Object.fromEntries(Object.keys(v).map((k) => [k, null]))),
      [JSON_CT],
      { expect: [400] },
    );
    post(
      route,
      'all fields as arrays',
      JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, [x]]))),
      [JSON_CT],
      { expect: [400] },
    );
  };
  const triggerRoute = all[0]!;
  fieldCases(triggerRoute, TRIGGER_STRINGS, TRIGGER_NUMBERS, TRIGGER_FIELDS);
  const resolveRoute = all[3]!;
  fieldCases(
    resolveRoute,
    RESOLUTION_STRINGS,
    [],
    RESOLUTION_STRINGS.map(([f]) => f),
  );
  // Trigger-specific: nested objects, attributes, the v2 amount.
  const t = () => ctx.validTrigger();
  const tcase = (name: string, body: unknown, extra: Partial<FuzzCase> = {}) =>
    post(triggerRoute, name, typeof body === 'string' ? body : JSON.stringify(body), [JSON_CT], extra);
  tcase('customer: unknown field', setPath(t(), `customer.${m}`, 'x'), { expect: [400] });
  tcase('amount: unknown field', setPath(t(), `amount.${m}`, 'x'));
  tcase('customer as string', setPath(t(), 'customer', m), { expect: [400] });
  tcase(
    'customer __proto__',
    `${JSON.stringify(t()).slice(0, -1)},"customer":{"__proto__":{"customerId":"${m}"}}}`,
    { expect: [400] },
  );
  tcase(
    'attributes: 51 entries',
    setPath(t(), 'attributes', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, m]))),
    { expect: [400] },
  );
  tcase(
    'attributes: 50 × 1024 chars',
    setPath(
      t(),
      'attributes',
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, `${m}${'y'.repeat(1000)}`])),
    ),
  );
  tcase('attributes: 1025 chars', setPath(t(), 'attributes.note', `${m}${'y'.repeat(1025)}`), {
    expect: [400],
    names: 'note',
  });
  tcase('attributes: 200 KB value', setPath(t(), 'attributes.note', `${m}${'y'.repeat(200_000)}`), {
    expect: [400],
    names: 'note',
  });
  for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])
    tcase(`attributes key ${key}`, `${JSON.stringify(t()).slice(0, -1)},"attributes":{"${key}":"${m}"}}`);
  for (const s of hostileStrings(m).filter((x) => x.value.length < 1000))
    tcase(`attributes key ${s.label}`, setPath(t(), 'attributes', { [s.value]: 'x' }));
  tcase('attributes key 65 chars', setPath(t(), 'attributes', { [`a${'b'.repeat(64)}`]: m }), {
    expect: [400],
  });
  tcase('attributes key empty', setPath(t(), 'attributes', { '': m }), { expect: [400] });
  tcase('attributes value number', setPath(t(), 'attributes.n', 1), { expect: [400], names: 'n' });
  tcase('attributes value object', setPath(t(), 'attributes.n', { [m]: 1 }), { expect: [400], names: 'n' });
  tcase('attributes as array', setPath(t(), 'attributes', [m]), { expect: [400] });
  tcase('eventVersion 2, amountDue hostile', {
    ...setPath(t(), 'eventVersion', 2),
    amount: undefined,
    amountDue: `${m}1e400`,
  });
  for (const due of [
    '1e400',
    '-0',
    '0.000000000000000000000000000000001',
    '9'.repeat(40),
    '1,000.00',
    ' 12.00',
    '12.',
    '.5',
    '١٢',
  ])
    tcase(`amountDue ${due}`, { ...setPath(t(), 'eventVersion', 2), amount: undefined, amountDue: due });
  tcase('eventType unmapped', setPath(t(), 'eventType', `${m}.unknown`), { expect: [422] });
  tcase('sourceSystem of another token', setPath(t(), 'sourceSystem', `${m}-src`), { expect: [403] });
  tcase('occurredAt year 10000', setPath(t(), 'occurredAt', '+010000-01-01T00:00:00Z'), {
    expect: [400],
    names: 'occurredAt',
  });
  tcase('occurredAt 1970', setPath(t(), 'occurredAt', '1970-01-01T00:00:00Z'), {
    expect: [400],
    names: 'occurredAt',
  });
  tcase('occurredAt leap second', setPath(t(), 'occurredAt', '2016-12-31T23:59:60Z'));
  tcase('occurredAt offset +99:99', setPath(t(), 'occurredAt', '2024-01-01T00:00:00+99:99'), {
    expect: [400],
    names: 'occurredAt',
  });
  // The review's 500s on a long eventId or sourceSystem (~2.7 KB).
  for (const n of [2_600, 2_700, 2_800, 4_096, 65_536])
    for (const field of ['eventId', 'sourceSystem'])
      tcase(`field ${field} ${n} chars`, setPath(t(), field, `${m}${'a'.repeat(n)}`), {
        expect: [400],
        names: field,
      });
  // Resolution-specific.
  const r = () => ctx.validResolution();
  const rcase = (name: string, body: unknown, extra: Partial<FuzzCase> = {}) =>
    post(resolveRoute, name, JSON.stringify(body), [JSON_CT], extra);
  rcase('valid resolution, no such exception', r(), { expect: [404] });
  rcase("agentId another agent's", { ...r(), agentId: 'agent-3' }, { expect: [403] });
  rcase('agentId marker', { ...r(), agentId: m }, { expect: [403] });
  rcase('note 2001 chars', { ...r(), note: `${m}${'n'.repeat(2001)}` }, { expect: [400], names: 'note' });
  rcase('note tab and newline', { ...r(), note: `${m}\tline\nline\r\n` }, { expect: [404] });
  rcase('resolution wrong case', { ...r(), resolution: 'RETRY' }, { expect: [400], names: 'resolution' });
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------
// Generated cases (fast-check). fc.sample with a fixed seed: the same cases every run with that seed.

/** Percent-encodes a string's UTF-8 bytes (lone surrogates become U+FFFD, as any client's encoder would). */
export function encodeBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

/** Strings with NUL, controls, lone surrogates and astral characters in the mix. */
const hostileString = (m: string) =>
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({
        unit: fc.constantFrom('\u0000', '\ud800', '\udc00', '\u202e', '\u001b', 'a', '😀', '"', '\\'),
        maxLength: 12,
      }),
      fc.string({ unit: 'binary-ascii', minLength: 129, maxLength: 3000 }),
    )
    .map((s) => `${m}${s}`);

const anyValue = (m: string) =>
  fc.oneof(fc.anything({ maxDepth: 3 }), hostileString(m), fc.double(), fc.bigInt().map(String));

/** Mutations of a valid body: drop, replace (any value, hostile string) or insert fields, at any depth. */
function mutated(base: () => Record<string, unknown>, fields: string[], m: string) {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom(...fields) }),
    fc.record({
      kind: fc.constant('replace' as const),
      field: fc.constantFrom(...fields),
      value: anyValue(m),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      field: fc.oneof(
        fc.constantFrom(...fields).map((f) => `${f.split('.')[0]}.${m}`),
        hostileString(m),
      ),
      value: anyValue(m),
    }),
  );
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => {
    let body: Record<string, unknown> = base();
    for (const o of ops) {
      try {
        body = setPath(body, o.field, o.kind === 'drop' ? undefined : o.value);
      } catch {
        // structuredClone of an exotic value (fc.anything): leave the body as it was
      }
    }
    return body;
  });
}

const stringify = (v: unknown): string => {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
  } catch {
    return 'null';
  }
};

export interface GeneratedPlan {
  seed: number;
  /** Cases per generator. */
  runs: number;
}

export function generatedCases(ctx: FuzzContext, plan: GeneratedPlan): FuzzCase[] {
  const m = ctx.marker;
  const all = routes();
  const [ingest, getCase, listExceptions, resolve, slo, breaks, alerts, reconcile] = all;
  const healthRoutes = all.filter((r) => r.api === 'health');
  let n = 0;
  const sample = <T>(arb: fc.Arbitrary<T>, runs = plan.runs): T[] =>
    fc.sample(arb, { seed: plan.seed + n++, numRuns: runs });
  const cases: FuzzCase[] = [];
  const push = (route: Route, name: string, request: Partial<RawRequest>) =>
    cases.push({
      api: route.api,
      service: route.service,
      name: `${route.method} ${route.path}: generated ${name}`,
      request: { method: route.method, path: pathOf(route, ctx), headers: auth(route, ctx), ...request },
    });
  const json = (route: Route, name: string, body: string | Buffer) =>
    push(route, name, { method: 'POST', headers: [...auth(route, ctx), JSON_CT], body });

  sample(mutated(ctx.validTrigger, TRIGGER_FIELDS, m), plan.runs * 3).forEach((b, i) =>
    json(ingest!, `trigger mutation #${i}`, stringify(b)),
  );
  sample(fc.jsonValue({ maxDepth: 4 })).forEach((b, i) => json(ingest!, `JSON value #${i}`, stringify(b)));
  sample(fc.uint8Array({ maxLength: 512 })).forEach((b, i) => json(ingest!, `bytes #${i}`, Buffer.from(b)));
  sample(
    mutated(
      ctx.validResolution,
      RESOLUTION_STRINGS.map(([f]) => f),
      m,
    ),
    plan.runs * 2,
  ).forEach((b, i) => json(resolve!, `resolution mutation #${i}`, stringify(b)));
  sample(fc.jsonValue({ maxDepth: 4 })).forEach((b, i) => json(resolve!, `JSON value #${i}`, stringify(b)));
  sample(hostileString(m)).forEach((id, i) =>
    push(getCase!, `path id #${i}`, { path: pathOf(getCase!, ctx, encodeBytes(id)) }),
  );
  sample(hostileString(m)).forEach((id, i) =>
    push(resolve!, `path id #${i}`, {
      method: 'POST',
      path: pathOf(resolve!, ctx, encodeBytes(id)),
      headers: [...auth(resolve!, ctx), JSON_CT],
      body: stringify(ctx.validResolution()),
    }),
  );
  const query = (keys: string[]) =>
    fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...keys), hostileString(m)),
          fc.oneof(hostileString(m), fc.constantFrom('', 'OPEN', 'open', '1', '-0', '1e308')),
        ),
        {
          maxLength: 6,
        },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encodeBytes(k)}=${encodeBytes(v)}`).join('&'));
  sample(query(Object.keys(listExceptions!.query!))).forEach((q, i) =>
    push(listExceptions!, `query #${i}`, { path: `/v1/exceptions?${q}` }),
  );
  sample(query(Object.keys(breaks!.query!))).forEach((q, i) =>
    push(breaks!, `query #${i}`, { path: `/v1/breaks?${q}` }),
  );
  sample(query(['status']), Math.ceil(plan.runs / 2)).forEach((q, i) =>
    push(alerts!, `query #${i}`, { path: `/v1/alerts?${q}` }),
  );
  sample(query(['x']), Math.ceil(plan.runs / 4)).forEach((q, i) =>
    push(slo!, `query #${i}`, { path: `/v1/slo?${q}` }),
  );
  // Bodies on the pass: most are refused before the controller; a valid one runs a (cheap, empty) pass.
  sample(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map(stringify),
      fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
    ),
    Math.ceil(plan.runs / 4),
  ).forEach((b, i) => json(reconcile!, `body #${i}`, b));
  sample(fc.tuple(fc.constantFrom(...healthRoutes), query(['x', 'verbose'])), plan.runs).forEach(
    ([route, q], i) => push(route, `query #${i}`, { path: `${route.path}?${q}` }),
  );
  sample(fc.tuple(fc.constantFrom(...healthRoutes), hostileString(m)), Math.ceil(plan.runs / 2)).forEach(
    ([route, s], i) => push(route, `path suffix #${i}`, { path: `${route.path}/${encodeBytes(s)}` }),
  );
  return cases;
}
