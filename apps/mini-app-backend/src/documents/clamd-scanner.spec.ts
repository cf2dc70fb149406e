import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ClamdScanner, MalwareScannerError, NotScannedScanner, createMalwareScanner } from './clamd-scanner';

/** What a fake clamd saw on one connection. */
interface Seen {
  command: string;
  chunks: number[];
  bytes: Buffer;
  terminated: boolean;
}

/**
 * A tiny clamd on 127.0.0.1: parses the command and the INSTREAM chunks, and calls `onRequest` once the command (and,
 * for INSTREAM, the zero-length terminator) has arrived, or `onChunk` after each chunk.
 */
async function fakeClamd(handlers: {
  onRequest?: (socket: Socket, seen: Seen) => void;
  onChunk?: (socket: Socket, seen: Seen) => void;
  onConnect?: (socket: Socket) => void;
}): Promise<{ port: number; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((socket) => {
    handlers.onConnect?.(socket);
    const state: Seen = { command: '', chunks: [], bytes: Buffer.alloc(0), terminated: false };
    seen.push(state);
    let buffer = Buffer.alloc(0);
    let commandDone = false;
    const parts: Buffer[] = [];
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!commandDone) {
        const nul = buffer.indexOf(0);
        if (nul === -1) return;
        state.command = buffer.subarray(0, nul).toString('latin1');
        buffer = buffer.subarray(nul + 1);
        commandDone = true;
        if (state.command !== 'zINSTREAM') return handlers.onRequest?.(socket, state);
      }
      while (!state.terminated && buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          state.terminated = true;
          buffer = buffer.subarray(4);
          state.bytes = Buffer.concat(parts);
          handlers.onRequest?.(socket, state);
          return;
        }
        if (buffer.length < 4 + length) return;
        parts.push(buffer.subarray(4, 4 + length));
        state.chunks.push(length);
        buffer = buffer.subarray(4 + length);
        handlers.onChunk?.(socket, state);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.unref();
        }),
    ),
  );
});

const reply = (text: string) => (socket: Socket) => socket.end(Buffer.from(`${text}\0`, 'latin1'));

async function scanError(promise: Promise<unknown>): Promise<MalwareScannerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MalwareScannerError);
  return error as MalwareScannerError;
}

describe('ClamdScanner.scan (INSTREAM)', () => {
  it('streams the document as length-prefixed chunks with a zero-length terminator, and reads OK as CLEAN', async () => {
    const clamd = await fakeClamd({ onRequest: reply('stream: OK') });
    const document = Buffer.from(Array.from({ length: 2_500 }, (_, i) => i % 251));
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port, chunkBytes: 1_000 });

    await expect(scanner.scan(document)).resolves.toEqual({ status: 'CLEAN', scanner: 'clamd' });

    expect(clamd.seen).toHaveLength(1);
    expect(clamd.seen[0]).toMatchObject({
      command: 'zINSTREAM',
      chunks: [1_000, 1_000, 500],
      terminated: true,
    });
    expect(clamd.seen[0]!.bytes.equals(document)).toBe(true);
  });

  it('sends an empty document as the terminator alone', async () => {
    const clamd = await fakeClamd({ onRequest: reply('stream: OK') });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    await expect(scanner.scan(Buffer.alloc(0))).resolves.toMatchObject({ status: 'CLEAN' });
    expect(clamd.seen[0]).toMatchObject({ chunks: [], terminated: true });
  });

  it('reads "stream: <signature> FOUND" as INFECTED with the signature name', async () => {
    const clamd = await fakeClamd({ onRequest: reply('stream: Closeout.Test.Malware.UNOFFICIAL FOUND') });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    await expect(scanner.scan(Buffer.from('x'))).resolves.toEqual({
      status: 'INFECTED',
      scanner: 'clamd',
      signature: 'Closeout.Test.Malware.UNOFFICIAL',
    });
  });

  it("refuses a document over clamd's StreamMaxLength (clamd answers and hangs up mid-stream) as SIZE_LIMIT, not retryable", async () => {
    const limit = 256 * 1024;
    const clamd = await fakeClamd({
      onChunk: (socket, seen) => {
        if (seen.chunks.reduce((a, b) => a + b, 0) > limit)
          reply('INSTREAM size limit exceeded. ERROR')(socket);
      },
    });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const error = await scanError(scanner.scan(Buffer.alloc(8 * 1024 * 1024, 7)));
    expect(error.code).toBe('MALWARE_SCANNER_SIZE_LIMIT');
    expect(error.field).toBe('document');
    expect(error.retryable).toBe(false);
    expect(clamd.seen[0]!.terminated).toBe(false);
  });

  it('refuses a document over its maxStreamBytes as SIZE_LIMIT without sending it', async () => {
    const clamd = await fakeClamd({ onRequest: reply('stream: OK') });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port, maxStreamBytes: 1_000 });
    await expect(scanner.scan(Buffer.alloc(1_000, 7))).resolves.toMatchObject({ status: 'CLEAN' });
    const error = await scanError(scanner.scan(Buffer.alloc(1_001, 7)));
    expect(error).toMatchObject({ code: 'MALWARE_SCANNER_SIZE_LIMIT', field: 'document', retryable: false });
    expect(clamd.seen).toHaveLength(1);
  });

  it('maps another clamd error to MALWARE_SCANNER_ERROR, retryable', async () => {
    const clamd = await fakeClamd({ onRequest: reply("stream: Can't allocate memory ERROR") });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const error = await scanError(scanner.scan(Buffer.from('x')));
    expect(error.code).toBe('MALWARE_SCANNER_ERROR');
    expect(error.retryable).toBe(true);
  });

  it.each([
    ['an unknown NUL-terminated reply', (s: Socket) => reply('hello')(s)],
    [
      'a FOUND with a signature name over 256 characters',
      (s: Socket) => reply(`stream: ${'A'.repeat(300)} FOUND`)(s),
    ],
    ['a FOUND with a control character in the name', (s: Socket) => reply('stream: Bad\x01Name FOUND')(s)],
    ['an HTTP answer, closed without NUL', (s: Socket) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')],
  ])('refuses %s as MALWARE_SCANNER_BAD_REPLY', async (_, answer) => {
    const clamd = await fakeClamd({ onRequest: answer });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const error = await scanError(scanner.scan(Buffer.from('x')));
    expect(error.code).toBe('MALWARE_SCANNER_BAD_REPLY');
    expect(error.message).not.toContain('hello');
    expect(error.message).not.toContain('HTTP');
  });

  it('stops reading an endless reply at maxReplyBytes, well before the timeout', async () => {
    const clamd = await fakeClamd({ onRequest: (s) => s.write(Buffer.alloc(4_096, 0x41)) });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port, maxReplyBytes: 1_024 });
    const started = Date.now();
    const error = await scanError(scanner.scan(Buffer.from('x'), 10_000));
    expect(error.code).toBe('MALWARE_SCANNER_BAD_REPLY');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up on a silent clamd after the reply timeout with MALWARE_SCANNER_TIMEOUT', async () => {
    const clamd = await fakeClamd({});
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const started = Date.now();
    const error = await scanError(scanner.scan(Buffer.from('x'), 300));
    const elapsed = Date.now() - started;
    expect(error.code).toBe('MALWARE_SCANNER_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reports a refused connection as MALWARE_SCANNER_UNAVAILABLE', async () => {
    const clamd = await fakeClamd({});
    await new Promise<void>((resolve) => clamd.server.close(() => resolve()));
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const error = await scanError(scanner.scan(Buffer.from('x')));
    expect(error.code).toBe('MALWARE_SCANNER_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('reports a connection closed without a reply as MALWARE_SCANNER_UNAVAILABLE', async () => {
    const clamd = await fakeClamd({ onRequest: (s) => s.end() });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    const error = await scanError(scanner.scan(Buffer.from('x')));
    expect(error.code).toBe('MALWARE_SCANNER_UNAVAILABLE');
  });
});

describe('ClamdScanner.ping', () => {
  it('sends zPING and is true on PONG', async () => {
    const clamd = await fakeClamd({ onRequest: reply('PONG') });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port: clamd.port });
    await expect(scanner.ping()).resolves.toBe(true);
    expect(clamd.seen[0]!.command).toBe('zPING');
  });

  it('is false on anything else, on silence and with nothing listening', async () => {
    const wrong = await fakeClamd({ onRequest: reply('PANG') });
    const silent = await fakeClamd({});
    const gone = await fakeClamd({});
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const scanner = (port: number) => new ClamdScanner({ host: '127.0.0.1', port });
    await expect(scanner(wrong.port).ping()).resolves.toBe(false);
    await expect(scanner(silent.port).ping(200)).resolves.toBe(false);
    await expect(scanner(gone.port).ping()).resolves.toBe(false);
  });
});

describe('createMalwareScanner', () => {
  it('is NOT_SCANNED without CLAMAV_HOST', async () => {
    const scanner = createMalwareScanner({ CLAMAV_HOST: undefined, CLAMAV_PORT: 3310 });
    expect(scanner).toBeInstanceOf(NotScannedScanner);
    await expect(scanner.scan(Buffer.from('anything'))).resolves.toEqual({
      status: 'NOT_SCANNED',
      scanner: 'none',
    });
  });

  it('is clamd at CLAMAV_HOST:CLAMAV_PORT when CLAMAV_HOST is set', async () => {
    const clamd = await fakeClamd({ onRequest: reply('stream: OK') });
    const scanner = createMalwareScanner({ CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: clamd.port });
    expect(scanner).toBeInstanceOf(ClamdScanner);
    await expect(scanner.scan(Buffer.from('x'))).resolves.toMatchObject({ status: 'CLEAN' });
  });
});
