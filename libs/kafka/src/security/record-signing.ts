/**
 * Signed records: the producer allowed to send a topic's records signs each one as it goes on the wire, and consumers
 * that act on it verify before decoding. Kafka tells a consumer nothing about who produced a record, so an ACL mistake
 * or any service with produce rights could otherwise post payments; a signature travels with the record (DLQ replays,
 * mirrored clusters) and only the holder of the private key can make one. See docs/security/signed-messages.md.
 *
 * Ed25519 through node:crypto (KeyObject sign/verify, no extra dependency). What is signed, framed so no field can
 * bleed into another: a version tag, the topic, the key id, the signing time, the key bytes and the value bytes, each
 * length-prefixed. The signature and its metadata travel in headers; any change to the topic, key, value, key id or
 * signing time makes the signature fail.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordAuthenticator } from '../consumer/event-subscriber';
import type { RawHeaders } from '../ports/message-bus.port';
import type { RecordSigner } from '../producer/event-publisher';

export const SignatureHeaders = {
  signature: 'closeout-signature',
  keyId: 'closeout-signature-key-id',
  signedAt: 'closeout-signed-at',
} as const;

const FRAME_TAG = Buffer.from('closeout-record-signature/v1', 'utf8');
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** An Ed25519 signature is 64 bytes: 88 characters of base64. */
const MAX_SIGNATURE_CHARS = 128;

/** Why a record was refused, as a closed set (a metric label); the reason sentence says more, never a value. */
export type SignatureRefusal = 'missing-signature' | 'malformed-signature' | 'unknown-key' | 'bad-signature';

export type SignatureCheck =
  { ok: true; keyId: string } | { ok: false; refusal: SignatureRefusal; reason: string; keyId?: string };

/** The bytes an Ed25519 signature covers. */
function signedBytes(parts: {
  topic: string;
  keyId: string;
  signedAt: string;
  key: Buffer | null;
  value: Buffer | null;
}): Buffer {
  const fields: Array<Buffer | null> = [
    FRAME_TAG,
    Buffer.from(parts.topic, 'utf8'),
    Buffer.from(parts.keyId, 'utf8'),
    Buffer.from(parts.signedAt, 'utf8'),
    parts.key,
    parts.value,
  ];
  const chunks: Buffer[] = [];
  for (const field of fields) {
    const length = Buffer.alloc(5);
    // A null part (a tombstone's value) is told apart from an empty one.
    length.writeUInt8(field === null ? 0 : 1, 0);
    length.writeUInt32BE(field?.length ?? 0, 1);
    chunks.push(length);
    if (field) chunks.push(field);
  }
  return Buffer.concat(chunks);
}

export function assertKeyId(keyId: string): string {
  if (!KEY_ID.test(keyId)) throw new Error('a signing key id must be 1–64 characters of A–Z a–z 0–9 . _ -');
  return keyId;
}

/** Reads an Ed25519 private key (PKCS#8 PEM); the error names the file, never its content. */
export function readSigningKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new Error(`${path}: not a readable private key (${(error as NodeJS.ErrnoException).code ?? 'unparseable'})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${path}: the signing key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

/** Reads an Ed25519 public key (SPKI PEM). A private key is refused: a verifier must never hold one. */
export function readVerificationKey(path: string): KeyObject {
  const pem = readFileSync(path, 'utf8');
  if (/PRIVATE KEY/.test(pem)) throw new Error(`${path}: holds a private key; a verifier is given public keys only`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${path}: not a readable public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${path}: the verification key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

/**
 * Public keys by key id from a setting: either `keyId=/path/to/key.pem,keyId2=/path/two.pem`, or a directory whose
 * `<keyId>.pem` files are the keys (a mounted secret or config map). Several keys let a key be rotated: the new
 * one is added to every verifier before the producer signs with it, the old one removed once nothing signed with
 * it is left to read (DLQ replays included).
 */
export function loadVerificationKeys(setting: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const text = setting.trim();
  if (text === '') throw new Error('no verification keys given');
  if (!text.includes('=') && statSync(text, { throwIfNoEntry: false })?.isDirectory()) {
    for (const file of readdirSync(text).sort()) {
      if (!file.endsWith('.pem')) continue;
      keys.set(assertKeyId(file.slice(0, -'.pem'.length)), readVerificationKey(join(text, file)));
    }
    if (keys.size === 0) throw new Error(`${text}: holds no <keyId>.pem public key`);
    return keys;
  }
  for (const entry of text.split(',')) {
    const at = entry.indexOf('=');
    if (at < 1) throw new Error('each entry must be keyId=/path/to/public-key.pem (or give one directory)');
    const keyId = assertKeyId(entry.slice(0, at).trim());
    if (keys.has(keyId)) throw new Error(`key id ${keyId} is given twice`);
    keys.set(keyId, readVerificationKey(entry.slice(at + 1).trim()));
  }
  return keys;
}

export interface RecordSigningOptions {
  keyId: string;
  privateKey: KeyObject;
  /** The topics whose records are signed; records of other topics go out as they are. */
  topics: readonly string[];
  now?: () => number;
}

/** The publisher hook (`KafkaClientOptions.signer`) signing the encoded records of `topics`. */
export function createRecordSigner(options: RecordSigningOptions): RecordSigner {
  const keyId = assertKeyId(options.keyId);
  if (options.privateKey.type !== 'private' || options.privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error('the record signer needs an Ed25519 private key');
  }
  const topics = new Set(options.topics);
  const now = options.now ?? Date.now;
  return ({ topic, key, value }) => {
    if (!topics.has(topic)) return undefined;
    const signedAt = String(now());
    const signature = sign(null, signedBytes({ topic, keyId, signedAt, key, value }), options.privateKey);
    return {
      [SignatureHeaders.signature]: signature.toString('base64'),
      [SignatureHeaders.keyId]: keyId,
      [SignatureHeaders.signedAt]: signedAt,
    };
  };
}

function header(headers: RawHeaders, name: string): string | undefined | null {
  const raw = headers[name];
  if (raw === undefined) return undefined;
  // A repeated header is ambiguous: which one was signed? Refused.
  if (Array.isArray(raw)) return null;
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
}

/** Verifies records signed by `createRecordSigner` against a set of public keys by key id. */
export class RecordVerifier {
  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {
    if (keys.size === 0) throw new Error('a record verifier needs at least one public key');
    for (const [keyId, key] of keys) {
      assertKeyId(keyId);
      if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
        throw new Error(`key ${keyId}: a record verifier takes Ed25519 public keys only`);
      }
    }
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  check(record: {
    topic: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: RawHeaders;
  }): SignatureCheck {
    const signature = header(record.headers, SignatureHeaders.signature);
    const keyId = header(record.headers, SignatureHeaders.keyId);
    const signedAt = header(record.headers, SignatureHeaders.signedAt);
    if (signature === undefined && keyId === undefined) {
      return { ok: false, refusal: 'missing-signature', reason: 'the record is not signed' };
    }
    if (
      !signature ||
      !keyId ||
      !signedAt ||
      signature.length > MAX_SIGNATURE_CHARS ||
      !KEY_ID.test(keyId) ||
      !/^\d{1,16}$/.test(signedAt)
    ) {
      return {
        ok: false,
        refusal: 'malformed-signature',
        reason: `the signature headers (${Object.values(SignatureHeaders).join(', ')}) are missing, repeated or malformed`,
      };
    }
    const publicKey = this.keys.get(keyId);
    if (!publicKey) {
      return {
        ok: false,
        refusal: 'unknown-key',
        keyId,
        reason: `signed with key ${keyId}, which is not one of the trusted keys (${this.keyIds.join(', ')})`,
      };
    }
    const bytes = signedBytes({ topic: record.topic, keyId, signedAt, key: record.key, value: record.value });
    let valid = false;
    try {
      valid = verify(null, bytes, publicKey, Buffer.from(signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) {
      return {
        ok: false,
        refusal: 'bad-signature',
        keyId,
        reason: `the signature by key ${keyId} does not match the record's topic, key, value or signing time`,
      };
    }
    return { ok: true, keyId };
  }

  /**
   * The subscription hook (`SubscriptionOptions.authenticate`): a refused record goes to the DLQ as
   * `unauthenticated`; `onRefused` is told first (a metric, an audit event).
   */
  authenticator(
    onRefused?: (
      refusal: Extract<SignatureCheck, { ok: false }>,
      record: Parameters<RecordAuthenticator>[0],
    ) => void,
  ): RecordAuthenticator {
    return (record) => {
      const check = this.check(record);
      if (check.ok) return undefined;
      onRefused?.(check, record);
      return check.reason;
    };
  }
}

/**
 * Generates an Ed25519 key pair for a local run (main job, end-to-end stack, harnesses, tests) into `dir`, which
 * must be outside the repository: `<keyId>.key` (PKCS#8, mode 0600) and `public/<keyId>.pem` (SPKI). Production
 * keys come from a secret store, never from here.
 */
export function generateSigningKeyPair(
  dir: string,
  keyId: string,
): { keyId: string; privateKeyFile: string; publicKeyDir: string; publicKeyFile: string } {
  assertKeyId(keyId);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyDir = join(dir, 'public');
  mkdirSync(publicKeyDir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(dir, `${keyId}.key`);
  const publicKeyFile = join(publicKeyDir, `${keyId}.pem`);
  writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { keyId, privateKeyFile, publicKeyDir, publicKeyFile };
}
