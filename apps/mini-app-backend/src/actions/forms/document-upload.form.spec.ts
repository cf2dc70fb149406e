import type { UploadedFile } from '../action-form';
import { sniffDocumentType } from '../../documents/content-type';
import { MalwareScannerError } from '../../documents/clamd-scanner';
import type { MalwareScanner, ScanVerdict } from '../../documents/malware-scanner';
import type { AttestationText } from './attestation-text';
import { loadAttestationText } from './attestation-text';
import { DocumentUploadForm } from './document-upload.form';
import { ActionFormUnavailableError } from './form-errors';
import { sha256Hex } from './form-kit';
import { ELF_BYTES, JPEG_BYTES, PDF_BYTES, PE_BYTES, PNG_BYTES } from './testing/document-bytes';
import { formContext } from './testing/form-context';

const file = (bytes: Buffer, originalName = 'statement.pdf', field = 'document'): UploadedFile => ({
  field,
  originalName,
  declaredType: 'application/pdf',
  bytes,
});

class FakeStore {
  puts: { caseId: string; sha256: string; detectedType: string; scan: { status: string } }[] = [];
  attestations: { typedName: string; textSha256: string; textVersion: string; documentRef: string | null }[] =
    [];
  put(doc: {
    caseId: string;
    sha256: string;
    detectedType: 'application/pdf' | 'image/jpeg' | 'image/png';
    bytes: Buffer;
    scan: { status: 'CLEAN' | 'NOT_SCANNED'; scanner: string };
  }) {
    this.puts.push(doc);
    return Promise.resolve({ ref: `00000000-0000-4000-8000-00000000000${this.puts.length}`, created: true });
  }
  recordAttestation(a: {
    typedName: string;
    textSha256: string;
    textVersion: string;
    documentRef: string | null;
  }) {
    this.attestations.push(a);
    return Promise.resolve('10000000-0000-4000-8000-000000000001');
  }
}

const scanner = (verdict: ScanVerdict | Error): MalwareScanner => ({
  scan: () => (verdict instanceof Error ? Promise.reject(verdict) : Promise.resolve(verdict)),
  ping: () => Promise.resolve(true),
});
const CLEAN: ScanVerdict = { status: 'CLEAN', scanner: 'clamd' };

const collection = formContext({
  workflowId: 'document-collection',
  postPath: '/s/actions/upload-documents',
  amount: null,
  eligible: {
    actionId: 'upload-documents',
    action: 'document.upload',
    parameterRules: [
      { field: 'documentType', operator: 'in', value: ['proof_of_address', 'bank_statement'] },
      { field: 'documentRef', operator: 'present', value: true },
    ],
  },
});
const kyc = formContext({
  ...collection,
  workflowId: 'kyc-refresh',
  eligible: {
    ...collection.eligible,
    parameterRules: [{ field: 'documentType', operator: 'in', value: ['passport', 'driving_licence'] }],
  },
});
const attestation: AttestationText = loadAttestationText('kyc-refresh.v1', 'en-GB');

describe('sniffDocumentType', () => {
  it('decides by content: PDF, PNG, JPEG accepted; ELF, PE and scripts are executables; the rest unknown', () => {
    expect(sniffDocumentType(PDF_BYTES)).toEqual({ kind: 'accepted', mime: 'application/pdf' });
    expect(sniffDocumentType(PNG_BYTES)).toEqual({ kind: 'accepted', mime: 'image/png' });
    expect(sniffDocumentType(JPEG_BYTES)).toEqual({ kind: 'accepted', mime: 'image/jpeg' });
    expect(sniffDocumentType(ELF_BYTES)).toEqual({ kind: 'executable', format: 'elf' });
    expect(sniffDocumentType(PE_BYTES)).toEqual({ kind: 'executable', format: 'pe' });
    expect(sniffDocumentType(Buffer.from('#!/bin/sh\nrm -rf /\n'))).toEqual({
      kind: 'executable',
      format: 'script',
    });
    expect(sniffDocumentType(Buffer.from('PK\x03\x04zip'))).toEqual({ kind: 'unknown' });
  });
});

describe('document.upload form', () => {
  it('renders a multipart form with the allowed types only and a labelled file input', () => {
    const form = new DocumentUploadForm(new FakeStore(), scanner(CLEAN));
    expect(form.multipart).toBe(true);
    const html = form.render(collection);
    expect(html).toContain('enctype="multipart/form-data"');
    expect([...html.matchAll(/<option value="([a-z_]+)"/g)].map((m) => m[1])).toEqual([
      'proof_of_address',
      'bank_statement',
    ]);
    expect(html).toContain('<label for="upload-documents-document">File</label>');
    expect(html).toContain('aria-describedby="upload-documents-document-hint"');
    expect(html).toContain('at most 10 MB');
    expect(html).not.toContain('attestation');
  });

  it('stores a clean PDF and answers { documentType, documentRef, sha256, scanStatus }', async () => {
    const store = new FakeStore();
    const result = await new DocumentUploadForm(store, scanner(CLEAN)).parse(
      collection,
      { documentType: 'bank_statement' },
      [file(PDF_BYTES)],
    );
    expect(result).toMatchObject({
      ok: true,
      parameters: {
        documentType: 'bank_statement',
        documentRef: '00000000-0000-4000-8000-000000000001',
        sha256: sha256Hex(PDF_BYTES),
        scanStatus: 'CLEAN',
      },
    });
    expect(store.puts[0]).toMatchObject({
      caseId: 'case-1',
      detectedType: 'application/pdf',
      scan: { status: 'CLEAN' },
    });
  });

  it.each([
    ['an ELF executable renamed .pdf', ELF_BYTES, 'file-executable'],
    ['a PE executable renamed .pdf', PE_BYTES, 'file-executable'],
    ['a zip renamed .pdf', Buffer.from('PK\x03\x04zip'), 'file-type'],
    ['an empty file', Buffer.alloc(0), 'file-empty'],
    ['a file over the limit', Buffer.concat([PDF_BYTES, Buffer.alloc(2048)]), 'file-too-large'],
  ])('refuses %s naming the document field, scanning and storing nothing', async (_what, bytes, rule) => {
    const store = new FakeStore();
    let scanned = 0;
    const counting: MalwareScanner = {
      scan: () => ((scanned += 1), Promise.resolve(CLEAN)),
      ping: () => Promise.resolve(true),
    };
    const form = new DocumentUploadForm(store, counting, { maxBytes: 1024 });
    expect(await form.parse(collection, { documentType: 'bank_statement' }, [file(bytes)])).toEqual({
      ok: false,
      errors: [{ field: 'document', rule }],
    });
    expect(store.puts).toHaveLength(0);
    expect(scanned).toBe(0);
  });

  it('names documentType outside the workflow’s values, a missing file and a second file', async () => {
    const form = new DocumentUploadForm(new FakeStore(), scanner(CLEAN));
    expect(await form.parse(collection, { documentType: 'passport' }, [])).toEqual({
      ok: false,
      errors: [
        { field: 'documentType', rule: 'not-allowed' },
        { field: 'document', rule: 'file-missing' },
      ],
    });
    expect(
      await form.parse(collection, { documentType: 'bank_statement' }, [
        file(PDF_BYTES),
        file(PNG_BYTES, 'b.png'),
      ]),
    ).toEqual({
      ok: false,
      errors: [{ field: 'document', rule: 'too-many-files' }],
    });
  });

  it('refuses an infected file as malware-detected, storing nothing; a scanner that cannot answer is unavailable', async () => {
    const store = new FakeStore();
    const infected = new DocumentUploadForm(
      store,
      scanner({ status: 'INFECTED', scanner: 'clamd', signature: 'Eicar-Signature' }),
    );
    expect(await infected.parse(collection, { documentType: 'bank_statement' }, [file(PDF_BYTES)])).toEqual({
      ok: false,
      errors: [{ field: 'document', rule: 'malware-detected' }],
      refused: { rule: 'malware-detected', scanner: 'clamd', signature: 'Eicar-Signature' },
    });
    expect(store.puts).toHaveLength(0);
    const down = new DocumentUploadForm(store, scanner(new Error('clamd timeout')));
    await expect(
      down.parse(collection, { documentType: 'bank_statement' }, [file(PDF_BYTES)]),
    ).rejects.toBeInstanceOf(ActionFormUnavailableError);
  });

  it('refuses a file the scanner will not take for its size as file-too-large, storing nothing', async () => {
    const store = new FakeStore();
    const form = new DocumentUploadForm(
      store,
      scanner(
        new MalwareScannerError('MALWARE_SCANNER_SIZE_LIMIT', 'is larger than the malware scanner accepts'),
      ),
    );
    expect(await form.parse(collection, { documentType: 'bank_statement' }, [file(PDF_BYTES)])).toEqual({
      ok: false,
      errors: [{ field: 'document', rule: 'file-too-large' }],
    });
    expect(store.puts).toHaveLength(0);
  });

  it('for kyc-refresh shows the exact attestation text and records the signature → attestationRef, attestationTextSha256', async () => {
    const store = new FakeStore();
    const form = new DocumentUploadForm(store, scanner({ status: 'NOT_SCANNED', scanner: 'none' }), {
      attestations: { 'kyc-refresh': attestation },
    });
    const html = form.render(kyc);
    expect(html).toContain(attestation.text.replace(/'/g, '&#39;'));
    expect(html).toContain('data-version="kyc-refresh.v1.en-GB"');
    expect(html).toContain(
      '<label for="upload-documents-attestationName">Type your full name to sign</label>',
    );

    const result = await form.parse(
      kyc,
      { documentType: 'passport', attestationName: ' Ada  Lovelace ', attestationAgree: 'yes' },
      [file(JPEG_BYTES, 'p.jpg')],
    );
    expect(result).toMatchObject({
      ok: true,
      parameters: {
        documentType: 'passport',
        scanStatus: 'NOT_SCANNED',
        attestationRef: '10000000-0000-4000-8000-000000000001',
        attestationTextSha256: sha256Hex(attestation.text),
      },
    });
    expect(store.attestations[0]).toMatchObject({
      typedName: 'Ada Lovelace',
      textVersion: 'kyc-refresh.v1.en-GB',
    });
    // The typed name stays in the mini-app: never in the action's parameters.
    expect(JSON.stringify(result)).not.toContain('Lovelace');
  });

  it('for kyc-refresh names a missing signature and an unticked declaration', async () => {
    const form = new DocumentUploadForm(new FakeStore(), scanner(CLEAN), {
      attestations: { 'kyc-refresh': attestation },
    });
    expect(
      await form.parse(kyc, { documentType: 'passport', attestationName: '<b>' }, [file(PDF_BYTES)]),
    ).toEqual({
      ok: false,
      errors: [
        { field: 'attestationName', rule: 'characters' },
        { field: 'attestationAgree', rule: 'required' },
      ],
    });
  });
});
