import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** What a checkpoint states, and what its Ed25519 signature covers (as RFC 8785 canonical JSON). */
export interface CheckpointStatement {
  seq: number;
  lastRecordSeq: number;
  lastRecordHash: string;
  /** The previous checkpoint's signature (base64), null for the first: the checkpoints chain as CloudTrail's digests do. */
  prevSignature: string | null;
  /** ISO 8601, milliseconds, UTC. */
  signedAt: string;
  keyId: string;
}

export interface Checkpoint extends CheckpointStatement {
  /** base64 Ed25519 signature over `checkpointPayload(statement)`. */
  signature: string;
}

export function checkpointPayload(statement: CheckpointStatement): string {
  const { seq, lastRecordSeq, lastRecordHash, prevSignature, signedAt, keyId } = statement;
  return canonicalJson({ seq, lastRecordSeq, lastRecordHash, prevSignature, signedAt, keyId });
}

export interface CheckpointSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  sign(statement: CheckpointStatement): Checkpoint;
}

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/** A signer from an Ed25519 private key in PKCS#8 PEM; anything else is refused (the message never quotes the key). */
export function checkpointSigner(privateKeyPem: string, keyId: string): CheckpointSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    throw new SigningKeyError('is not a PKCS#8 PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SigningKeyError(`must be an Ed25519 key (this one is ${key.asymmetricKeyType ?? 'unknown'})`);
  const publicKey = createPublicKey(key);
  return {
    keyId,
    publicKey,
    sign: (statement) => ({
      ...statement,
      signature: sign(null, Buffer.from(checkpointPayload(statement), 'utf8'), key).toString('base64'),
    }),
  };
}

/** An Ed25519 public key from PEM (SPKI); refused with a reason otherwise. */
export function checkpointPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyError('is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SigningKeyError(`must be an Ed25519 key (this one is ${key.asymmetricKeyType ?? 'unknown'})`);
  return key;
}

export function checkpointSignatureValid(checkpoint: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(
      null,
      Buffer.from(checkpointPayload(checkpoint), 'utf8'),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
