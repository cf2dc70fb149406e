/**
 * Attestation texts are versioned files (`attestations/<id>.v<n>.<locale>.txt`): the exact text shown is what the
 * customer signs, and its SHA-256 is recorded with the signature. Changing the wording means a new version file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './form-kit';

export interface AttestationText {
  /** e.g. `kyc-refresh.v1.en-GB` */
  version: string;
  text: string;
  sha256: string;
}

export function loadAttestationText(
  id: string,
  locale: string,
  dir = join(__dirname, 'attestations'),
): AttestationText {
  const version = `${id}.${locale}`;
  if (!/^[a-z0-9-]+\.v\d+\.[A-Za-z-]+$/.test(version))
    throw new Error(`attestation ${version}: not a version id`);
  const text = readFileSync(join(dir, `${version}.txt`), 'utf8').trim();
  return { version, text, sha256: sha256Hex(text) };
}
