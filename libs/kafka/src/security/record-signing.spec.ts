import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRecordSigner,
  generateSigningKeyPair,
  loadVerificationKeys,
  readSigningKey,
  RecordVerifier,
  SignatureHeaders,
} from './record-signing';

const TOPIC = 'writeback.requested.v1';

describe('record signing', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'closeout-signing-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pair = (keyId: string) => {
    const files = generateSigningKeyPair(join(dir, keyId), keyId);
    return { ...files, privateKey: readSigningKey(files.privateKeyFile) };
  };

  function signed(keyId = 'orch-1', topic = TOPIC) {
    const { privateKey, publicKeyFile } = pair(keyId);
    const signer = createRecordSigner({ keyId, privateKey, topics: [TOPIC], now: () => 1_700_000_000_000 });
    const key = Buffer.from([0, 0, 0, 0, 7, 10, 99, 97, 115, 101]);
    const value = Buffer.from([0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6]);
    const headers: Record<string, string | Buffer[]> = { 'correlation-id': 'c-1', ...signer({ topic, key, value }) };
    const record: { topic: string; key: Buffer; value: Buffer | null; headers: typeof headers } = {
      topic,
      key,
      value,
      headers,
    };
    return { record, publicKeyFile, signer };
  }

  it('verifies a record signed by a trusted key, naming the key', () => {
    const { record, publicKeyFile } = signed();
    const verifier = new RecordVerifier(loadVerificationKeys(`orch-1=${publicKeyFile}`));
    expect(verifier.check(record)).toEqual({ ok: true, keyId: 'orch-1' });
    expect(record.headers[SignatureHeaders.signedAt]).toBe('1700000000000');
  });

  it('signs only the topics it is given', () => {
    const { signer } = signed();
    expect(signer({ topic: 'audit.event.v1', key: Buffer.from('k'), value: Buffer.from('v') })).toBeUndefined();
  });

  it('refuses an unsigned record, an unknown key, and any changed byte of topic, key, value or signing time', () => {
    const { record, publicKeyFile } = signed();
    const verifier = new RecordVerifier(loadVerificationKeys(`orch-1=${publicKeyFile}`));
    const refusal = (r: typeof record) => {
      const check = verifier.check(r);
      return check.ok ? 'accepted' : check.refusal;
    };

    expect(refusal({ ...record, headers: { 'correlation-id': 'c-1' } })).toBe('missing-signature');
    const other = signed('intruder').record;
    expect(refusal(other)).toBe('unknown-key');
    // The intruder's signature under the trusted key id.
    expect(refusal({ ...other, headers: { ...other.headers, [SignatureHeaders.keyId]: 'orch-1' } })).toBe(
      'bad-signature',
    );
    const original = record.value!;
    for (let i = 0; i < original.length; i++) {
      const value = Buffer.from(original);
      value[i] = value[i]! ^ 0x01;
      expect(refusal({ ...record, value })).toBe('bad-signature');
    }
    for (let i = 0; i < record.key.length; i++) {
      const key = Buffer.from(record.key);
      key[i] = key[i]! ^ 0x80;
      expect(refusal({ ...record, key })).toBe('bad-signature');
    }
    expect(refusal({ ...record, value: Buffer.concat([original, Buffer.from([0])]) })).toBe('bad-signature');
    expect(refusal({ ...record, value: null })).toBe('bad-signature');
    expect(refusal({ ...record, topic: 'writeback.requested.v2' })).toBe('bad-signature');
    expect(
      refusal({ ...record, headers: { ...record.headers, [SignatureHeaders.signedAt]: '1700000000001' } }),
    ).toBe('bad-signature');
    expect(
      refusal({ ...record, headers: { ...record.headers, [SignatureHeaders.signature]: 'AAAA' } }),
    ).toBe('bad-signature');
    expect(
      refusal({
        ...record,
        headers: { ...record.headers, [SignatureHeaders.signature]: [Buffer.from('a'), Buffer.from('b')] },
      }),
    ).toBe('malformed-signature');
    expect(
      refusal({ ...record, headers: { ...record.headers, [SignatureHeaders.keyId]: 'bad id with spaces' } }),
    ).toBe('malformed-signature');
  });

  it('accepts several keys by id (rotation), from a list or a directory of <keyId>.pem files', () => {
    const a = signed('orch-2025');
    const b = signed('orch-2026');
    const fromList = new RecordVerifier(
      loadVerificationKeys(`orch-2025=${a.publicKeyFile},orch-2026=${b.publicKeyFile}`),
    );
    expect(fromList.check(a.record).ok).toBe(true);
    expect(fromList.check(b.record).ok).toBe(true);

    const keysDir = mkdtempSync(join(dir, 'keys-'));
    writeFileSync(join(keysDir, 'orch-2026.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const fromDir = new RecordVerifier(loadVerificationKeys(keysDir));
    expect(fromDir.keyIds).toEqual(['orch-2026']);
    // Same key id, another key: the signature does not verify.
    expect(fromDir.check(b.record)).toMatchObject({ ok: false, refusal: 'bad-signature' });
    expect(fromDir.check(a.record)).toMatchObject({ ok: false, refusal: 'unknown-key' });
  });

  it('refuses to verify with a private key or to sign with anything but Ed25519, naming the file only', () => {
    const { privateKeyFile } = pair('orch-x');
    expect(() => loadVerificationKeys(`orch-x=${privateKeyFile}`)).toThrow(/holds a private key/);
    const rsa = join(dir, 'rsa.key');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    expect(() => readSigningKey(rsa)).toThrow(`${rsa}: the signing key must be Ed25519, not rsa`);
    expect(() => loadVerificationKeys('no-equals-sign')).toThrow(/keyId=/);
  });

  it('the authenticator hook returns the refusal reason and tells onRefused, quoting no bytes of the record', () => {
    const { record, publicKeyFile } = signed();
    const verifier = new RecordVerifier(loadVerificationKeys(`orch-1=${publicKeyFile}`));
    const refused: string[] = [];
    const authenticate = verifier.authenticator((r) => refused.push(r.refusal));
    const incoming = { ...record, partition: 0, offset: '1', timestamp: 0 };
    expect(authenticate(incoming)).toBeUndefined();
    const reason = authenticate({ ...incoming, value: Buffer.from('forged') });
    expect(reason).toMatch(/does not match/);
    expect(reason).not.toContain('forged');
    expect(refused).toEqual(['bad-signature']);
  });
});
