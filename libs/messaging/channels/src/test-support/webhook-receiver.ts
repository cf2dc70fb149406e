/**
 * Test support: an HTTP endpoint on 127.0.0.1 standing in for the messaging service's webhook routes. It keeps
 * every call as the port's `WebhookRequest` (the full URL called, the headers, the raw body) and answers 204.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '../lib/channel-provider';

export interface ReceivedWebhook extends WebhookRequest {
  path: string;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:port`. */
  url: string;
  received: ReceivedWebhook[];
  /** The first call (already received or still to come) that `matches`; rejects after `timeoutMs`. */
  waitFor(matches: (webhook: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

function plain(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        url: `${url}${req.url ?? '/'}`,
        path: new URL(req.url ?? '/', url).pathname,
        headers: plain(req.headers),
        rawBody: Buffer.concat(chunks),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function waitFor(
    matches: (webhook: ReceivedWebhook) => boolean,
    timeoutMs = 5_000,
  ): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = received.find(matches);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  return {
    url,
    received,
    waitFor,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
