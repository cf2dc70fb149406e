import express from 'express';
import request from 'supertest';
import { contentSecurityPolicy } from './content-security-policy';
import { formReader, type FormRead, type UploadLimits } from './form-body';

/** An app whose one route answers with what the reader made of the body. */
function app(limits: { maxBytes: number; maxFields: number }, upload?: UploadLimits) {
  const read = formReader(limits);
  const a = express();
  a.post('/form', (req, res) => {
    void read(req, res, upload).then((r: FormRead) =>
      res.json(r.ok ? { ...r, files: r.files.map((f) => ({ ...f, bytes: f.bytes.toString('utf8') })) } : r),
    );
  });
  return a;
}

describe('formReader', () => {
  const small = app({ maxBytes: 256, maxFields: 3 });

  it('reads string fields, the first of a repeated one', async () => {
    const res = await request(small)
      .post('/form')
      .type('form')
      .send('_csrf=abc&note=hello%20there&note=second');
    expect(res.body).toEqual({ ok: true, fields: { _csrf: 'abc', note: 'hello there' }, files: [] });
  });

  it('refuses a body over its bytes or fields with 413, naming both bounds', async () => {
    const big = await request(small)
      .post('/form')
      .type('form')
      .send(`note=${'x'.repeat(300)}`);
    expect(big.body).toEqual({ ok: false, status: 413, rule: 'form: at most 256 bytes and 3 fields' });
    const many = await request(small).post('/form').type('form').send('a=1&b=2&c=3&d=4');
    expect(many.body).toEqual({ ok: false, status: 413, rule: 'form: at most 256 bytes and 3 fields' });
  });

  it('refuses another content type with 415, and multipart where the form does not upload', async () => {
    const json = await request(small).post('/form').set('content-type', 'application/json').send('{"a":1}');
    expect(json.body).toEqual({
      ok: false,
      status: 415,
      rule: 'body: must be application/x-www-form-urlencoded',
    });
    const multipart = await request(small).post('/form').field('a', '1');
    expect(multipart.body.status).toBe(415);
  });

  it('reads files where the form uploads, within its count and size', async () => {
    const uploads = app({ maxBytes: 256, maxFields: 3 }, { multipart: true, maxFiles: 1, maxBytes: 10 });
    const ok = await request(uploads)
      .post('/form')
      .field('kind', 'payslip')
      .attach('file', Buffer.from('%PDF-1.4'), { filename: 'a.pdf', contentType: 'application/pdf' });
    expect(ok.body).toEqual({
      ok: true,
      fields: { kind: 'payslip' },
      files: [{ field: 'file', originalName: 'a.pdf', declaredType: 'application/pdf', bytes: '%PDF-1.4' }],
    });
    const large = await request(uploads)
      .post('/form')
      .attach('file', Buffer.from('x'.repeat(11)), { filename: 'b.pdf', contentType: 'application/pdf' });
    expect(large.body).toEqual({ ok: false, status: 413, rule: 'file too large', field: 'file', max: 10 });
    const two = await request(uploads)
      .post('/form')
      .attach('file', Buffer.from('1'), 'a.pdf')
      .attach('file', Buffer.from('2'), 'b.pdf');
    expect(two.body).toEqual({ ok: false, status: 413, rule: 'too many files', tooMany: true, max: 1 });
  });

  it('refuses limits out of bounds, naming the limit', () => {
    expect(() => formReader({ maxBytes: 0, maxFields: 3 })).toThrow('maxBytes must be an integer from 1');
    expect(() => formReader({ maxBytes: 10, maxFields: 1.5 })).toThrow('maxFields must be an integer from 1');
  });
});

describe('contentSecurityPolicy', () => {
  it('allows our own origin only, no inline script or style, never framed', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it('lets forms post to the origins given as well', () => {
    expect(contentSecurityPolicy('https://pay.example')).toContain("form-action 'self' https://pay.example;");
    expect(contentSecurityPolicy(['https://a.example', 'http://127.0.0.1:8097'])).toContain(
      "form-action 'self' https://a.example http://127.0.0.1:8097;",
    );
    expect(contentSecurityPolicy(undefined)).toContain("form-action 'self';");
  });

  it('refuses an origin that would change the policy', () => {
    expect(() => contentSecurityPolicy("https://a.example; script-src 'unsafe-inline'")).toThrow(
      'formActionOrigins',
    );
  });
});
