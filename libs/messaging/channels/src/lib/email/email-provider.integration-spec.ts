/**
 * The email provider against a real SMTP server: the devstack's SMTP sink (SMTP_HOST, SMTP_PORT, its read API at
 * SMTP_SINK_URL), with faults scoped to each test's own recipient so other users of the shared sink are not touched;
 * and a sink of its own, started here, that requires AUTH.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink, type FaultRule } from '@closeout/simulators/smtp-sink';
import type { OutboundMessage } from '../channel-provider';
import { EmailProvider } from './email-provider';
import { parseEmailProviderConfig, type EmailProviderConfigInput } from './email-provider.config';

const sinkUrl = process.env['SMTP_SINK_URL']!;
const smtpHost = process.env['SMTP_HOST']!;
const smtpPort = Number(process.env['SMTP_PORT']);

interface StoredMessage {
  id: string;
  envelope: { mailFrom: string | null; rcptTo: string[] };
  messageId: string | null;
  from: string[];
  to: string[];
  subject: string | null;
  sizeBytes: number;
  answered: boolean;
  headers: Record<string, string[]>;
  text: string | null;
  html: string | null;
}

async function sinkJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function receivedBy(apiUrl: string, to: string): Promise<StoredMessage[]> {
  const { messages } = await sinkJson<{ messages: { id: string }[] }>(
    `${apiUrl}/messages?to=${encodeURIComponent(to)}`,
  );
  return Promise.all(messages.map(({ id }) => sinkJson<StoredMessage>(`${apiUrl}/messages/${id}`)));
}

async function addFault(rule: FaultRule): Promise<void> {
  await sinkJson(`${sinkUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
}

/** A recipient no other test (or user of the shared sink) sends to. */
const recipient = () => `customer-${randomUUID()}@example.com`;

function messageTo(to: string, change: Partial<OutboundMessage> = {}): OutboundMessage {
  const link = 'https://app.closeout.example/c/7f3a9?t=abc';
  return {
    messageId: `outreach-${randomUUID()}.1`,
    channel: 'EMAIL',
    to,
    subject: 'Your payment did not go through',
    text: `Hello, your card payment failed. Update it here: ${link}`,
    html: `<p>Hello, your card payment failed.</p><p><a href="${link}">Update it here</a></p>`,
    unsubscribeUrl: 'https://app.closeout.example/unsubscribe/7f3a9',
    ...change,
  };
}

const logLines: string[] = [];
function emailProvider(change: Partial<EmailProviderConfigInput> = {}): EmailProvider {
  return new EmailProvider(
    parseEmailProviderConfig({
      host: smtpHost,
      port: smtpPort,
      fromAddress: 'no-reply@closeout.example',
      fromName: 'Closeout Bank',
      tls: { mode: 'none' },
      timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000, sendMs: 20_000 },
      retryAfterMs: 30_000,
      ...change,
    }),
    { warn: (obj, msg) => logLines.push(`${msg} ${JSON.stringify(obj)}`) },
  );
}

afterAll(() => {
  // Whatever happened, the logs never carried a contact point or the content.
  const logged = logLines.join('\n');
  expect(logged).not.toContain('@example.com');
  expect(logged).not.toContain('payment');
});

describe('EmailProvider against the devstack SMTP server', () => {
  it('delivers multipart text and HTML with List-Unsubscribe one-click and our Message-ID', async () => {
    const to = recipient();
    const message = messageTo(to);
    const outcome = await emailProvider().send(message);

    expect(outcome).toEqual({ kind: 'accepted', providerRef: `<${message.messageId}@closeout.example>` });
    const [received, ...more] = await receivedBy(sinkUrl, to);
    expect(more).toHaveLength(0);
    expect(received).toMatchObject({
      envelope: { mailFrom: 'no-reply@closeout.example', rcptTo: [to] },
      from: ['no-reply@closeout.example'],
      to: [to],
      subject: 'Your payment did not go through',
      messageId: `<${message.messageId}@closeout.example>`,
      answered: true,
    });
    expect(received!.headers['from']).toEqual(['Closeout Bank <no-reply@closeout.example>']);
    expect(received!.headers['content-type']![0]).toMatch(/^multipart\/alternative;/);
    expect(received!.text).toContain('https://app.closeout.example/c/7f3a9?t=abc');
    expect(received!.html).toContain('href="https://app.closeout.example/c/7f3a9?t=abc"');
    expect(received!.headers['list-unsubscribe']).toEqual([
      '<https://app.closeout.example/unsubscribe/7f3a9>',
    ]);
    expect(received!.headers['list-unsubscribe-post']).toEqual(['List-Unsubscribe=One-Click']);
    expect(received!.sizeBytes).toBeGreaterThan(0);
  });

  it('takes a plain-http unsubscribe link to this machine (a mini-app run locally) and sends it as it is', async () => {
    const to = recipient();
    const local = 'http://127.0.0.1:3004/l/abc/unsubscribe';
    await expect(emailProvider().send(messageTo(to, { unsubscribeUrl: local }))).resolves.toMatchObject({
      kind: 'accepted',
    });
    const [mail] = await receivedBy(sinkUrl, to);
    expect(mail?.headers['list-unsubscribe']).toEqual([`<${local}>`]);
  });

  it('reads a 451 after the data as a rejection that may be retried', async () => {
    const to = recipient();
    await addFault({ mode: 'temp_fail', count: 1, match: { to } });

    await expect(emailProvider().send(messageTo(to))).resolves.toEqual({
      kind: 'rejected',
      permanent: false,
      reason: 'SMTP data refused with 451 4.3.0 (temporary)',
      retryAfterMs: 30_000,
    });
    expect(await receivedBy(sinkUrl, to)).toHaveLength(0);
    // The fault was counted: the same message goes through next time.
    await expect(emailProvider().send(messageTo(to))).resolves.toMatchObject({ kind: 'accepted' });
  });

  it('reads a 550 to the recipient as a permanent rejection', async () => {
    const to = recipient();
    await addFault({ mode: 'reject_recipient', count: 1, match: { to } });

    await expect(emailProvider().send(messageTo(to))).resolves.toEqual({
      kind: 'rejected',
      permanent: true,
      reason: 'SMTP envelope refused with 550 5.1.1',
    });
    expect(await receivedBy(sinkUrl, to)).toHaveLength(0);
  });

  it('reads a connection dropped after the data as unknown: the server did take the message', async () => {
    const to = recipient();
    await addFault({ mode: 'drop_after_data', count: 1, match: { to } });

    const outcome = await emailProvider().send(messageTo(to));

    expect(outcome).toEqual({
      kind: 'unknown',
      reason: 'SMTP ECONNECTION after the message data was sent: the server may have taken it',
    });
    const received = await receivedBy(sinkUrl, to);
    expect(received.map((m) => m.answered)).toEqual([false]);
  });

  it('has a message over the server size limit refused for good', async () => {
    const { smtp } = await sinkJson<{ smtp: { maxMessageBytes: number } }>(`${sinkUrl}/health`);
    const to = recipient();
    const big = 'x'.repeat(smtp.maxMessageBytes + 1);

    const outcome = await emailProvider().send(messageTo(to, { text: big, html: undefined }));

    expect(outcome).toMatchObject({ kind: 'rejected', permanent: true });
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(/refused with 552/);
    expect(await receivedBy(sinkUrl, to)).toHaveLength(0);
  });

  it('reads a refused connection as a rejection that may be retried', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });

    await expect(emailProvider({ port }).send(messageTo(recipient()))).resolves.toMatchObject({
      kind: 'rejected',
      permanent: false,
      retryAfterMs: 30_000,
    });
  });
});

describe('EmailProvider against an SMTP server that requires AUTH', () => {
  let sink: SmtpSink;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'closeout-email-auth-'));
    sink = await startSmtpSink({ dataDir: dir, auth: { username: 'closeout', password: 'relay-secret' } });
  });
  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const provider = (auth?: { username: string; password: string }) =>
    emailProvider({ host: sink.host, port: sink.smtpPort, ...(auth ? { auth } : {}) });

  it('authenticates and delivers', async () => {
    const to = recipient();
    await expect(
      provider({ username: 'closeout', password: 'relay-secret' }).send(messageTo(to)),
    ).resolves.toMatchObject({ kind: 'accepted' });
    expect(await receivedBy(sink.apiUrl, to)).toHaveLength(1);
  });

  it('reads wrong credentials and missing ones as rejections that may be retried, nothing delivered', async () => {
    const to = recipient();
    await expect(
      provider({ username: 'closeout', password: 'wrong' }).send(messageTo(to)),
    ).resolves.toMatchObject({
      kind: 'rejected',
      permanent: false,
      reason: 'SMTP session refused with 535 5.7.8',
    });
    await expect(provider().send(messageTo(to))).resolves.toMatchObject({
      kind: 'rejected',
      permanent: false,
    });
    expect(await receivedBy(sink.apiUrl, to)).toHaveLength(0);
    expect(sink.stats().authFailures).toBe(1);
  });
});

describe('EmailProvider reusing connections', () => {
  let sink: SmtpSink;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'closeout-email-reuse-'));
    sink = await startSmtpSink({ dataDir: dir });
  });
  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one message after another over one connection, each delivered once', async () => {
    const provider = emailProvider({ host: sink.host, port: sink.smtpPort });
    const before = sink.stats().connections;
    const recipients = Array.from({ length: 5 }, recipient);
    for (const to of recipients)
      await expect(provider.send(messageTo(to))).resolves.toMatchObject({ kind: 'accepted' });
    expect(sink.stats().connections - before).toBe(1);
    expect(provider.idleConnections).toBe(1);
    for (const to of recipients) expect(await receivedBy(sink.apiUrl, to)).toHaveLength(1);
    provider.close();
    expect(provider.idleConnections).toBe(0);
  });

  it('sends over a new connection, once, when the relay dropped the kept one', async () => {
    const provider = emailProvider({ host: sink.host, port: sink.smtpPort });
    const [first, second] = [recipient(), recipient()];
    await expect(provider.send(messageTo(first))).resolves.toMatchObject({ kind: 'accepted' });
    const before = sink.stats().connections;
    sink.dropConnections();
    await expect(provider.send(messageTo(second))).resolves.toMatchObject({ kind: 'accepted' });
    expect(sink.stats().connections - before).toBe(1);
    expect(await receivedBy(sink.apiUrl, second)).toHaveLength(1);
    provider.close();
  });

  it('opens a connection per message with reuse off', async () => {
    const provider = emailProvider({ host: sink.host, port: sink.smtpPort, connections: { maxIdle: 0 } });
    const before = sink.stats().connections;
    for (const to of [recipient(), recipient(), recipient()])
      await expect(provider.send(messageTo(to))).resolves.toMatchObject({ kind: 'accepted' });
    expect(sink.stats().connections - before).toBe(3);
    expect(provider.idleConnections).toBe(0);
  });

  it('keeps no more idle connections than maxIdle when sends run at once', async () => {
    const provider = emailProvider({ host: sink.host, port: sink.smtpPort, connections: { maxIdle: 2 } });
    const recipients = Array.from({ length: 6 }, recipient);
    const outcomes = await Promise.all(recipients.map((to) => provider.send(messageTo(to))));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(provider.idleConnections).toBe(2);
    for (const to of recipients) expect(await receivedBy(sink.apiUrl, to)).toHaveLength(1);
    provider.close();
  });
});
