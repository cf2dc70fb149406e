// The clamd adapter against the devstack's real clamd, whose database holds only Closeout's test signatures
// (tools/devstack/clamav/closeout-test.ndb): Closeout.Test.Malware and Closeout.Test.EICAR.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClamdScanner, MalwareScannerError } from './clamd-scanner';

const host = process.env['CLAMAV_HOST'];
const port = Number(process.env['CLAMAV_PORT'] ?? 3310);
if (!host)
  throw new Error(
    'CLAMAV_HOST is not set: run tools/devstack/devstack up and eval "$(tools/devstack/devstack env)"',
  );

const repoRoot = join(__dirname, '../../../..');
const testMalware = readFileSync(join(repoRoot, 'tools/devstack/clamav/closeout-test-malware.txt'));
const cleanPdf = readFileSync(join(__dirname, 'fixtures/clean-document.pdf'));
// The EICAR test string, put together here so that no file in the repo holds it whole.
const eicar = Buffer.from(
  ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR', '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''),
  'latin1',
);

const scanner = new ClamdScanner({ host, port });

describe('ClamdScanner against the devstack clamd', () => {
  it('answers PING', async () => {
    await expect(scanner.ping()).resolves.toBe(true);
  });

  it('finds the test signature in the repo fixture and names it', async () => {
    await expect(scanner.scan(testMalware)).resolves.toEqual({
      status: 'INFECTED',
      scanner: 'clamd',
      signature: 'Closeout.Test.Malware.UNOFFICIAL',
    });
  });

  it('finds the EICAR test string', async () => {
    expect(eicar).toHaveLength(68);
    await expect(scanner.scan(eicar)).resolves.toMatchObject({
      status: 'INFECTED',
      signature: 'Closeout.Test.EICAR.UNOFFICIAL',
    });
  });

  it('finds the marker inside a larger document, across INSTREAM chunk boundaries', async () => {
    const padding = Buffer.alloc(64 * 1024 - 10, 0x20);
    const small = new ClamdScanner({ host, port, chunkBytes: 16 * 1024 });
    await expect(small.scan(Buffer.concat([padding, testMalware, padding]))).resolves.toMatchObject({
      status: 'INFECTED',
      signature: 'Closeout.Test.Malware.UNOFFICIAL',
    });
  });

  it('passes a clean PDF and a clean 1 MiB document', async () => {
    await expect(scanner.scan(cleanPdf)).resolves.toEqual({ status: 'CLEAN', scanner: 'clamd' });
    await expect(scanner.scan(randomBytes(1024 * 1024))).resolves.toEqual({
      status: 'CLEAN',
      scanner: 'clamd',
    });
  });

  it("scans a document of exactly clamd's StreamMaxLength (25 MiB) and refuses one byte more as SIZE_LIMIT, unsent", async () => {
    const limit = 25 * 1024 * 1024;
    await expect(scanner.scan(Buffer.alloc(limit, 0x20))).resolves.toEqual({
      status: 'CLEAN',
      scanner: 'clamd',
    });
    const error = await scanner.scan(Buffer.alloc(limit + 1, 0x20)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalwareScannerError);
    expect(error).toMatchObject({ code: 'MALWARE_SCANNER_SIZE_LIMIT', retryable: false, field: 'document' });
  });

  it("never passes a document over clamd's own StreamMaxLength, even with the scanner's limit set above it", async () => {
    // clamd answers "INSTREAM size limit exceeded" and hangs up on the bytes still coming; the reset can beat the answer
    // to this side, so the refusal reads as SIZE_LIMIT or as a retryable UNAVAILABLE, never as a verdict.
    const above = new ClamdScanner({ host, port, maxStreamBytes: 64 * 1024 * 1024 });
    const error = await above.scan(Buffer.alloc(26 * 1024 * 1024, 0x20)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalwareScannerError);
    expect(['MALWARE_SCANNER_SIZE_LIMIT', 'MALWARE_SCANNER_UNAVAILABLE']).toContain(
      (error as MalwareScannerError).code,
    );
  });
});
