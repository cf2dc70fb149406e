import { ConfigError } from '@closeout/config';
import { parseSftpDestinations } from './sftp-destination.config';

const minimal = {
  name: 'core-banking-sftp',
  host: 'sftp.bank.example',
  username: 'closeout',
  privateKeyPath: '/keys/id_ed25519',
  hostPublicKeyPath: '/keys/host.pub',
  remoteDir: '/drop',
  layoutVersion: 'payments-v1',
};

function problemsOf(patch: Record<string, unknown>): string {
  try {
    parseSftpDestinations([{ ...minimal, ...patch }]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('SFTP destination config', () => {
  it('bounds reads and sweeps unfinished uploads by default', () => {
    expect(parseSftpDestinations([minimal])[0]).toMatchObject({
      outboundDir: 'outbound',
      maxReceiptBytes: 16 * 1024 * 1024,
      maxReportBytes: 64 * 1024 * 1024,
      lookupReportDays: 7,
      staleUploadMs: 15 * 60_000,
      sweepIntervalMs: 60_000,
    });
  });

  it.each([
    [{ maxReceiptBytes: 100 }, 'destinations[0].maxReceiptBytes: must be an integer from 1024 to 268435456'],
    [
      { maxReportBytes: 2 ** 30 },
      'destinations[0].maxReportBytes: must be an integer from 1024 to 268435456',
    ],
    [{ lookupReportDays: -1 }, 'destinations[0].lookupReportDays: must be an integer from 0 to 366'],
    [{ sweepIntervalMs: 0 }, 'destinations[0].sweepIntervalMs: must be an integer > 0'],
    [
      { staleUploadMs: 5_000, connectTimeoutMs: 10_000 },
      'destinations[0].staleUploadMs: must be at least 2 × connectTimeoutMs',
    ],
    [{ staleAfter: 1 }, 'destinations[0]: unknown field(s): staleAfter'],
  ])('names the field and rule of %j', (patch, message) => {
    expect(problemsOf(patch)).toContain(message);
  });
});
