/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * Reading a request body and answering JSON, for a core's own endpoints and its `/_sim/*` admin API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request body past the limit `readBody` was given. */
export class BodyTooLarge extends Error {}

/** The whole request body; rejects with `BodyTooLarge` once it passes `maxBytes` (default: no limit). */
export function readBody(req: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) reject(new BodyTooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers `body` as JSON (`undefined`: no body); nothing once the answer has begun or the socket is gone. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}
