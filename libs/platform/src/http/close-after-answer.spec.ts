import { parseApiTokens } from '@closeout/config';
import express from 'express';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { BearerAuth } from './bearer-auth';

/**
 * Uploads `bytes` as fast as the socket takes them and resolves with the status line the server answered, if any.
 * The client reads nothing for its first `busyMs`, as a client on a loaded machine would.
 */
function upload(port: number, bytes: number, busyMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    let settled = false;
    const done = (what: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(what);
    };
    socket.pause();
    setTimeout(() => socket.resume(), busyMs);
    socket.on('connect', () => {
      socket.write(
        `POST /v1/things HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`,
      );
      const piece = Buffer.alloc(64 * 1024, 0x78);
      let sent = 0;
      const pump = () => {
        while (sent < bytes && !socket.destroyed) {
          sent += piece.length;
          if (!socket.write(piece, () => undefined)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const line = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (line) done(line[1]!);
    });
    socket.on('error', (e) => done(`closed: ${e.message}`));
    socket.on('close', () => done('closed without an answer'));
  });
}

describe('closeAfterAnswer', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    const tokens = parseApiTokens('agent-7=tok-agent-seven-0001').entries!;
    app.use('/v1', new BearerAuth(tokens).middleware());
    app.post('/v1/things', (_req, res) => res.status(204).end());
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('every client of a refused unauthenticated upload reads its 401 instead of a reset', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => upload(port, 20 * 1024 * 1024, 300)));
    expect(answers.filter((a) => a !== '401')).toEqual([]);
  });
});
