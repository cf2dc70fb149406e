/**
 * The public webhook address of the messaging instances under test, as a load balancer gives it in a deployment:
 * one URL (MESSAGING_PUBLIC_BASE_URL of every instance, so the URL the provider signed is the one each instance
 * rebuilds), forwarded to a live instance. A call that cannot reach one instance (killed, restarting) goes to the
 * next; none reachable → 502, which the simulated provider records as a refused webhook.
 *
 * 127.0.0.1 only; every forward is bounded by a timeout.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export interface WebhookFront {
  url: string;
  port: number;
  counts(): { forwarded: number; failedOver: number; unreachable: number };
  close(): Promise<void>;
}

const FORWARD_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('webhook body over 1 MiB'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

type Forwarded = { status: number; headers: Record<string, string>; body: Buffer };

/** One forward to 127.0.0.1:port; undefined when the instance could not be reached (nothing was answered). */
function forward(port: number, req: IncomingMessage, body: Buffer): Promise<Forwarded | undefined> {
  return new Promise((resolve) => {
    const headers = { ...req.headers, host: `127.0.0.1:${port}`, 'content-length': String(body.length) };
    const out = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, timeout: FORWARD_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            headers: Object.fromEntries(
              Object.entries(res.headers)
                .filter(([k, v]) => typeof v === 'string' && !['connection', 'transfer-encoding'].includes(k))
                .map(([k, v]) => [k, v as string]),
            ),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', () => resolve(undefined));
      },
    );
    out.on('timeout', () => out.destroy(new Error('forward timeout')));
    out.on('error', () => resolve(undefined));
    out.end(body);
  });
}

/** Starts the front; `targets()` names the instances' HTTP ports at the time of each call. */
export async function startWebhookFront(targets: () => readonly number[]): Promise<WebhookFront> {
  const counts = { forwarded: 0, failedOver: 0, unreachable: 0 };
  let turn = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const ports = targets();
    turn += 1;
    for (let i = 0; i < ports.length; i += 1) {
      const answer = await forward(ports[(turn + i) % ports.length]!, req, body);
      if (answer === undefined) {
        counts.failedOver += 1;
        continue;
      }
      counts.forwarded += 1;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    counts.unreachable += 1;
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('no messaging instance reachable');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
