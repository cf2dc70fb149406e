import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson, CanonicalJsonError } from './canonical-json';
import {
  checkpointPublicKey,
  checkpointSignatureValid,
  checkpointSigner,
  SigningKeyError,
} from './checkpoint-signing';
import { GENESIS_HASH, recordHash } from './record-chain';

describe('canonicalJson (RFC 8785)', () => {
  it('serialises the RFC’s §3.2.2 example byte for byte', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units as §3.2.3 shows', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const keys = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // Integer-like keys come first in a parsed object whatever the text said, so read the order off the text.
    const order = [...canonicalJson(input).matchAll(/"([^"]*)":"([^"]*)"/g)].map((m) => m[2]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    expect(keys).toHaveLength(7);
  });

  it('gives one text whatever order the members came in', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, 'x'] }, b: 1 }),
    );
  });

  it('refuses what is not JSON', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(10n)).toThrow(CanonicalJsonError);
  });
});

describe('record chain and checkpoint signatures', () => {
  it('hashes prev_hash, seq and the canonical form, so moving a record changes its hash', () => {
    const h1 = recordHash(GENESIS_HASH, 1, '{"a":1}');
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(recordHash(GENESIS_HASH, 2, '{"a":1}')).not.toBe(h1);
    expect(recordHash(h1, 1, '{"a":1}')).not.toBe(h1);
  });

  it('signs a checkpoint that verifies with the public key alone, and with no other', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = checkpointSigner(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'k1');
    const cp = signer.sign({
      seq: 1,
      lastRecordSeq: 10,
      lastRecordHash: 'a'.repeat(64),
      prevSignature: null,
      signedAt: '2030-01-01T00:00:00.000Z',
      keyId: 'k1',
    });
    const pub = checkpointPublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    expect(checkpointSignatureValid(cp, pub)).toBe(true);
    expect(checkpointSignatureValid({ ...cp, lastRecordSeq: 11 }, pub)).toBe(false);
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(checkpointSignatureValid(cp, other)).toBe(false);
  });

  it('refuses a key that is not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => checkpointSigner(rsa.export({ format: 'pem', type: 'pkcs8' }).toString(), 'k')).toThrow(
      SigningKeyError,
    );
    expect(() => checkpointSigner('not a key', 'k')).toThrow('is not a PKCS#8 PEM private key');
  });
});
