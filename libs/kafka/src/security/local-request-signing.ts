import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@closeout/contracts';
import type { RecordSigner } from '../producer/event-publisher';
import { createRecordSigner, generateSigningKeyPair, readSigningKey } from './record-signing';

export interface LocalRequestSigning {
  /** The temporary directory holding the pair (outside the repository). */
  dir: string;
  keyId: string;
  /** For the orchestrator: its private key. */
  orchestratorEnv: Record<string, string>;
  /** For the writeback services: the public key only. */
  writebackEnv: Record<string, string>;
  /** For a tool or test that publishes writeback.requested itself, as the orchestrator would. */
  signer: RecordSigner;
}

/**
 * A fresh writeback-request signing key pair for one local run (the main job, the end-to-end stack, a harness, a test),
 * generated into a new directory under the OS temp dir: never in the repository, never reused by another run, so
 * runs sharing the devstack's topics do not act on each other's requests. Production keys come from a secret store.
 */
export function localRequestSigning(label: string): LocalRequestSigning {
  const dir = mkdtempSync(join(tmpdir(), `closeout-signing-${label.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  const keyId = `${label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${Date.now().toString(36)}`;
  const pair = generateSigningKeyPair(dir, keyId);
  return {
    dir,
    keyId,
    orchestratorEnv: {
      WRITEBACK_REQUEST_SIGNING_KEY_FILE: pair.privateKeyFile,
      WRITEBACK_REQUEST_SIGNING_KEY_ID: keyId,
    },
    writebackEnv: { WRITEBACK_REQUEST_PUBLIC_KEYS: `${keyId}=${pair.publicKeyFile}` },
    signer: createRecordSigner({
      keyId,
      privateKey: readSigningKey(pair.privateKeyFile),
      topics: [Topics.writebackRequested],
    }),
  };
}
