/**
 * Test fixture for the kill-mid-upload integration test (sftp-destination.integration-spec.ts), run as its own
 * process so it can be SIGKILLed: sends `count` records through an SftpDestination configured by the settings JSON,
 * so they go up as one batch, and keeps running until killed.
 *
 *   node -r @swc-node/register sftp-upload.kill-fixture.ts '<settings JSON>' <count>
 */
import { samplePaymentRequest } from '@closeout/writeback-core/testing';
import { parseSftpDestinations } from '../sftp-destination.config';
import { SftpDestination } from '../sftp-destination';
import { sftpSendRequest } from './sftp-send-request';

const [settingsJson = '', countText = ''] = process.argv.slice(2);
const [settings] = parseSftpDestinations([JSON.parse(settingsJson) as unknown]);
const count = Number(countText);
if (!settings || !Number.isInteger(count) || count < 1)
  throw new Error('usage: sftp-upload.kill-fixture.ts <settings JSON> <count ≥ 1>');

const destination = new SftpDestination(settings, { warn: () => undefined });
for (let i = 0; i < count; i += 1) {
  const request = samplePaymentRequest(i, { destination: settings.name, protocol: 'SFTP' });
  destination.send(sftpSendRequest(request)).catch(() => undefined);
}
// The parent kills this process mid-upload; until then the upload runs and nothing else happens.
setInterval(() => undefined, 60_000);
