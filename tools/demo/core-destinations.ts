/**
 * How Closeout's writeback services and the reconciler reach the simulated cores: the destination entries of
 * WRITEBACK_{REST,SOAP,SFTP}_DESTINATIONS, RECONCILER_EXTRACTS and WRITEBACK_RETRY_POLICY as the main job
 * (tools/demo) and the end-to-end stack (tools/e2e/case-stack.ts) configure them; each passes its own timings.
 */

/** The devstack's SFTP login (SFTP_HOST, SFTP_PORT, SFTP_USERNAME and the key files) as a destination gives it. */
export function sftpLogin(env: Record<string, string>) {
  return {
    host: env['SFTP_HOST'],
    port: Number(env['SFTP_PORT']),
    username: env['SFTP_USERNAME'],
    privateKeyPath: env['SFTP_PRIVATE_KEY_PATH'],
    hostPublicKeyPath: env['SFTP_HOST_PUBLIC_KEY_PATH'],
  };
}

/** The simulated REST core as a writeback-rest destination: it de-duplicates by key, its lookups have no lag. */
export function restCoreDestination(o: {
  baseUrl: string;
  token: string;
  requestMs: number;
  lookupVisibilityMs: number;
}) {
  return {
    name: 'core-banking-rest',
    baseUrl: o.baseUrl,
    auth: { type: 'bearer', token: o.token },
    apiVersions: ['2024-06-01', '2025-01-15'],
    timeouts: { connectMs: 500, requestMs: o.requestMs },
    // The simulated core de-duplicates by key and its lookups read its own journal: no lag.
    honoursIdempotencyKey: true,
    lookupVisibilityMs: o.lookupVisibilityMs,
  };
}

/** The simulated SOAP core as a writeback-soap destination (WSDL 2019.2, SOAP 1.1, de-duplicates by key). */
export function soapCoreDestination(o: {
  wsdlUrl: string;
  endpoint: string;
  healthUrl: string;
  requestMs: number;
  lookupVisibilityMs: number;
}) {
  return {
    name: 'core-banking-soap',
    wsdlUrl: o.wsdlUrl,
    endpoint: o.endpoint,
    healthUrl: o.healthUrl,
    soapVersion: '1.1',
    wsdlVersion: 'CoreBankingService-2019.2',
    timeouts: { connectMs: 500, requestMs: o.requestMs },
    honoursIdempotencyKey: true,
    lookupVisibilityMs: o.lookupVisibilityMs,
  };
}

/** The simulated SFTP batch core as a writeback-sftp destination, its batch folder at `remoteDir`. */
export function sftpCoreDestination(
  env: Record<string, string>,
  o: { remoteDir: string; windowMs: number; receiptWindowMs: number; receiptPollMs: number },
) {
  return {
    name: 'core-banking-sftp',
    ...sftpLogin(env),
    remoteDir: o.remoteDir,
    layoutVersion: 'payments-v1',
    // The simulated batch core answers a resubmitted key DUPLICATE with its original reference.
    honoursIdempotencyKey: true,
    batch: { maxRecords: 200, windowMs: o.windowMs },
    receiptWindowMs: o.receiptWindowMs,
    receiptPollMs: o.receiptPollMs,
  };
}

/** WRITEBACK_RETRY_POLICY naming only `destination`: an override for another would stop the service at boot. */
export function retryPolicy(
  destination: string,
  policy: {
    baseDelayMs: number;
    maxDelayMs: number;
    maxAttempts: number;
    circuitOpenWaitMs: number;
    unknownResolveDelayMs: number;
  },
): string {
  return JSON.stringify({ [destination]: policy });
}
