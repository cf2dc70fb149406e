/**
 * Test support for the messaging integration specs: the devstack's SMTP sink read API, a free port, waiting for a
 * condition, and a clock a test moves. Not imported by the service.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { Clock } from '../clock/clock';

export interface StoredMail {
  id: string;
  from: string[];
  subject: string | null;
  headers: Record<string, string[]>;
  text: string | null;
  html: string | null;
}

/** The mails the SMTP sink (`SMTP_SINK_URL`) holds for `address`; with `from`, only those sent from that address. */
export async function mailTo(address: string, from?: string): Promise<StoredMail[]> {
  const sinkUrl = process.env['SMTP_SINK_URL'] ?? 'http://127.0.0.1:8025';
  const res = await fetch(`${sinkUrl}/messages?to=${encodeURIComponent(address)}`);
  const { messages } = (await res.json()) as { messages: { id: string }[] };
  const mails = await Promise.all(
    messages.map(async ({ id }) => (await (await fetch(`${sinkUrl}/messages/${id}`)).json()) as StoredMail),
  );
  return from === undefined ? mails : mails.filter((m) => m.from.includes(from));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (service log: ${process.env['LOG_FILE']})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A clock that runs at the real pace from wherever a test sets it. */
export class MovableClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  /** From now on the clock reads `at`, and runs on from there. */
  set(at: number): void {
    this.offset = at - Date.now();
  }
}
