/**
 * The document store against the devstack's PostgreSQL: its migration in a throwaway schema, the document.upload
 * form writing through it, and reads that only a session of the same case can make.
 */
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrate, type DatabaseOptions } from '@closeout/platform';
import type { UploadedFile } from '../actions/action-form';
import { loadAttestationText } from '../actions/forms/attestation-text';
import { DocumentUploadForm } from '../actions/forms/document-upload.form';
import { sha256Hex } from '../actions/forms/form-kit';
import { ELF_BYTES, PDF_BYTES, PE_BYTES, PNG_BYTES } from '../actions/forms/testing/document-bytes';
import { formContext } from '../actions/forms/testing/form-context';
import { MiniappDocuments1797500000000 } from './1797500000000-miniapp-documents.migration';
import { NotScannedScanner } from './clamd-scanner';
import { DocumentStore } from './document.store';

describe('DocumentStore (real PostgreSQL)', () => {
  const schema = `miniapp_docs_${randomBytes(4).toString('hex')}`;
  const options: DatabaseOptions = {
    url: process.env['DATABASE_URL']!,
    schema,
    entities: [],
    migrations: [MiniappDocuments1797500000000],
    poolSize: 4,
  };
  let db: DataSource;
  let store: DocumentStore;

  beforeAll(async () => {
    await migrate(options);
    db = await new DataSource(dataSourceOptions(options)).initialize();
    store = new DocumentStore(db);
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  const caseId = (): string => `case-${randomBytes(6).toString('hex')}`;
  const upload = (bytes: Buffer, originalName: string): UploadedFile => ({
    field: 'document',
    originalName,
    declaredType: 'application/pdf',
    bytes,
  });
  const ctxFor = (id: string, workflowId = 'document-collection') =>
    formContext({
      caseId: id,
      workflowId,
      amount: null,
      postPath: '/s/actions/upload-documents',
      eligible: {
        actionId: 'upload-documents',
        action: 'document.upload',
        parameterRules: [{ field: 'documentType', operator: 'in', value: ['bank_statement', 'passport'] }],
      },
    });
  const count = async (table: string, id: string): Promise<number> =>
    Number((await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE case_id = $1`, [id]))[0].n);

  it('stores an uploaded PDF with its hash, detected type, size and verdict, and serves it only to its own case', async () => {
    const id = caseId();
    const form = new DocumentUploadForm(store, new NotScannedScanner());
    const result = await form.parse(ctxFor(id), { documentType: 'bank_statement' }, [
      upload(PDF_BYTES, 'a.pdf'),
    ]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const ref = result.parameters['documentRef']!;
    expect(result.parameters['sha256']).toBe(sha256Hex(PDF_BYTES));

    const stored = await store.get(ref, id);
    expect(stored).toMatchObject({
      ref,
      caseId: id,
      contentType: 'application/pdf',
      sha256: sha256Hex(PDF_BYTES),
      sizeBytes: PDF_BYTES.length,
      scanStatus: 'NOT_SCANNED',
    });
    expect(Buffer.compare(stored!.bytes, PDF_BYTES)).toBe(0);
    expect(await store.get(ref, caseId())).toBeUndefined();
    expect(await store.get('not-a-uuid', id)).toBeUndefined();
  });

  it('keeps one row per case and content: a resubmitted upload answers the first ref', async () => {
    const id = caseId();
    const doc = {
      caseId: id,
      sha256: sha256Hex(PNG_BYTES),
      detectedType: 'image/png' as const,
      bytes: PNG_BYTES,
      scan: { status: 'CLEAN' as const, scanner: 'clamd' },
    };
    const results = await Promise.all([store.put(doc), store.put(doc), store.put(doc)]);
    expect(new Set(results.map((r) => r.ref)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await count('document', id)).toBe(1);
  });

  it.each([
    ['an ELF', ELF_BYTES],
    ['a PE', PE_BYTES],
  ])('refuses %s executable renamed .pdf naming the field, and stores nothing', async (_kind, bytes) => {
    const id = caseId();
    const form = new DocumentUploadForm(store, new NotScannedScanner());
    expect(
      await form.parse(ctxFor(id), { documentType: 'bank_statement' }, [upload(bytes, 'invoice.pdf')]),
    ).toEqual({
      ok: false,
      errors: [{ field: 'document', rule: 'file-executable' }],
    });
    expect(await count('document', id)).toBe(0);
  });

  it('records a kyc-refresh attestation with the text version, its SHA-256, the typed name and the time', async () => {
    const id = caseId();
    const text = loadAttestationText('kyc-refresh.v1', 'en-GB');
    const form = new DocumentUploadForm(store, new NotScannedScanner(), {
      attestations: { 'kyc-refresh': text },
    });
    const ctx = ctxFor(id, 'kyc-refresh');
    const result = await form.parse(
      ctx,
      { documentType: 'passport', attestationName: 'Ada Lovelace', attestationAgree: 'yes' },
      [upload(PDF_BYTES, 'passport.pdf')],
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const rows: Record<string, unknown>[] = await db.query(
      'SELECT ref::text, document_ref::text, text_version, text_sha256, typed_name, signed_at, session_ref FROM attestation WHERE case_id = $1',
      [id],
    );
    expect(rows).toEqual([
      {
        ref: result.parameters['attestationRef'],
        document_ref: result.parameters['documentRef'],
        text_version: 'kyc-refresh.v1.en-GB',
        text_sha256: text.sha256,
        typed_name: 'Ada Lovelace',
        signed_at: ctx.now,
        session_ref: ctx.sessionRef,
      },
    ]);
    expect(result.parameters['attestationTextSha256']).toBe(text.sha256);
  });

  it('records one attestation when the declaration is submitted several times at once (double taps), each answered with its ref', async () => {
    for (let round = 0; round < 5; round++) {
      const id = caseId();
      const { ref: documentRef } = await store.put({
        caseId: id,
        sha256: 'cd'.repeat(32),
        detectedType: 'application/pdf',
        bytes: PDF_BYTES,
        scan: { status: 'NOT_SCANNED', scanner: 'none' },
      });
      const signed = {
        caseId: id,
        sessionRef: `ses_${id}`,
        documentRef,
        textVersion: 'kyc-refresh.v1.en-GB',
        textSha256: 'ab'.repeat(32),
        typedName: 'Ada Lovelace',
        signedAt: new Date(),
      };
      const refs = await Promise.all(Array.from({ length: 8 }, () => store.recordAttestation(signed)));
      const rows: Array<{ ref: string }> = await db.query(
        'SELECT ref::text FROM attestation WHERE case_id = $1',
        [id],
      );
      expect(rows).toHaveLength(1);
      expect(refs).toEqual(Array(8).fill(rows[0]!.ref));
    }
  });

  it('the migration reverts', async () => {
    const other = { ...options, schema: `${schema}_r` };
    await migrate(other);
    const ds = await new DataSource(dataSourceOptions(other)).initialize();
    try {
      await ds.undoLastMigration();
      const tables: unknown[] = await ds.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('document', 'attestation')",
        [other.schema],
      );
      expect(tables).toHaveLength(0);
    } finally {
      await ds.query(`DROP SCHEMA IF EXISTS "${other.schema}" CASCADE`);
      await ds.destroy();
    }
  });
});
