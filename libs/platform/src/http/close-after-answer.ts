import type { Response } from 'express';
import type { Socket } from 'node:net';

/** How long a refused upload's connection stays open after the answer, reading and discarding what still comes. */
export const LINGER_MS = 2_000;

const lingering = new WeakSet<Socket>();

/**
 * Answers on this response and then closes the connection without losing the answer: a lingering close (as Apache
 * httpd and nginx do). Closing a socket whose client is still uploading sends a TCP reset, and a reset makes the
 * client's kernel drop the answer it has not yet read: the client of a refused 50 MB upload saw "connection reset"
 * instead of its 401 or 413. So the server half-closes after the answer (FIN), keeps reading and discarding the
 * upload until the client closes or `lingerMs` pass, and only then closes the socket.
 */
export function closeAfterAnswer(res: Response, lingerMs = LINGER_MS): void {
  res.set('Connection', 'close');
  const socket = res.req.socket as Socket & { destroySoon?: () => void };
  if (lingering.has(socket)) return;
  lingering.add(socket);
  // Node's HTTP server ends a `Connection: close` response with socket.destroySoon(): end, then destroy at once.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.resume();
  };
}
