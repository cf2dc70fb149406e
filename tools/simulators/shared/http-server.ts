/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * The HTTP listener of a simulated core: listens, tracks its sockets and the timers of delayed answers, and closes
 * idempotently (a harness may close in a test and again in its teardown), dropping pending answers.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The timers of answers a core holds back: cleared when the core closes. */
export class PendingTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms`, unless cleared first. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export interface SimulatorServer {
  server: Server;
  port: number;
  /** `http://host:port`, with an IPv6 host in brackets. */
  baseUrl: string;
  /** Idempotent; clears the pending timers and destroys open connections. */
  close(): Promise<void>;
}

export async function startSimulatorServer(
  listener: RequestListener,
  options: { port?: number | undefined; host?: string | undefined; timers: PendingTimers },
): Promise<SimulatorServer> {
  const sockets = new Set<Socket>();
  const server = createServer(listener);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve, reject) => {
      options.timers.clear();
      server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }

  return {
    server,
    port,
    baseUrl: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close,
  };
}
