/**
 * Where accepted documents and signed attestations are kept: tables `document` and `attestation` of the mini-app's
 * schema (migration 1797500000000). A document is found only by its ref together with the case it belongs to, so a
 * session can never read another case's document by guessing a ref.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DocumentReader } from '../actions/action-forms.registry';
import type { AcceptedDocumentType } from './content-type';

export interface NewDocument {
  caseId: string;
  sha256: string;
  detectedType: AcceptedDocumentType;
  bytes: Buffer;
  scan: { status: 'CLEAN' | 'NOT_SCANNED'; scanner: string };
}

/** Also what the session-guarded document route reads (DocumentReader: bytes and contentType). */
export interface StoredDocument {
  ref: string;
  contentType: AcceptedDocumentType;
  caseId: string;
  sha256: string;
  detectedType: AcceptedDocumentType;
  sizeBytes: number;
  scanStatus: 'CLEAN' | 'NOT_SCANNED';
  bytes: Buffer;
  createdAt: Date;
}

export interface NewAttestation {
  caseId: string;
  sessionRef: string;
  documentRef: string | null;
  textVersion: string;
  textSha256: string;
  typedName: string;
  signedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface DocumentRow {
  ref: string;
  case_id: string;
  sha256: string;
  detected_type: AcceptedDocumentType;
  size_bytes: number;
  scan_status: 'CLEAN' | 'NOT_SCANNED';
  bytes: Buffer;
  created_at: Date;
}

export class DocumentStore implements DocumentReader {
  constructor(private readonly db: DataSource) {}

  /** Stores the document once per case and content; a resubmission answers the ref of the first. */
  async put(doc: NewDocument): Promise<{ ref: string; created: boolean }> {
    const rows: { ref: string; created: boolean }[] = await this.db.query(
      `WITH inserted AS (
         INSERT INTO document (ref, case_id, sha256, detected_type, size_bytes, scan_status, scanner, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (case_id, sha256) DO NOTHING
         RETURNING ref)
       SELECT ref::text, true AS created FROM inserted
       UNION ALL
       SELECT ref::text, false AS created FROM document WHERE case_id = $2 AND sha256 = $3
       LIMIT 1`,
      [
        randomUUID(),
        doc.caseId,
        doc.sha256,
        doc.detectedType,
        doc.bytes.length,
        doc.scan.status,
        doc.scan.scanner,
        doc.bytes,
      ],
    );
    const row = rows[0];
    // Another request inserted the same content between this statement's snapshot and its insert: read it now.
    if (!row) return this.existing(doc.caseId, doc.sha256);
    return row;
  }

  private async existing(caseId: string, sha256: string): Promise<{ ref: string; created: boolean }> {
    const rows: { ref: string }[] = await this.db.query(
      'SELECT ref::text FROM document WHERE case_id = $1 AND sha256 = $2',
      [caseId, sha256],
    );
    if (!rows[0]) throw new Error('document neither inserted nor found');
    return { ref: rows[0].ref, created: false };
  }

  /** The document `ref` of case `caseId`, or undefined (also for a malformed ref). */
  async get(ref: string, caseId: string): Promise<StoredDocument | undefined> {
    if (!UUID.test(ref)) return undefined;
    const rows: DocumentRow[] = await this.db.query(
      `SELECT ref::text, case_id, sha256, detected_type, size_bytes, scan_status, bytes, created_at
         FROM document WHERE ref = $1 AND case_id = $2`,
      [ref, caseId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ref: row.ref,
      contentType: row.detected_type,
      caseId: row.case_id,
      sha256: row.sha256,
      detectedType: row.detected_type,
      sizeBytes: row.size_bytes,
      scanStatus: row.scan_status,
      bytes: row.bytes,
      createdAt: row.created_at,
    };
  }

  /** Records a signed attestation once per case, document and text; answers its ref. */
  async recordAttestation(a: NewAttestation): Promise<string> {
    const rows: { ref: string }[] = await this.db.query(
      `WITH inserted AS (
         INSERT INTO attestation (ref, case_id, session_ref, document_ref, text_version, text_sha256, typed_name, signed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (case_id, document_ref, text_sha256) DO NOTHING
         RETURNING ref)
       SELECT ref::text FROM inserted
       UNION ALL
       SELECT ref::text FROM attestation
        WHERE case_id = $2 AND document_ref IS NOT DISTINCT FROM $4::uuid AND text_sha256 = $6
       LIMIT 1`,
      [
        randomUUID(),
        a.caseId,
        a.sessionRef,
        a.documentRef,
        a.textVersion,
        a.textSha256,
        a.typedName,
        a.signedAt,
      ],
    );
    const row = rows[0];
    if (row) return row.ref;
    // A double tap: the other request's insert committed after this statement's snapshot was taken, so ON CONFLICT
    // skipped the row and the SELECT could not see it yet. A new statement (a new snapshot) does.
    const again: { ref: string }[] = await this.db.query(
      `SELECT ref::text FROM attestation
        WHERE case_id = $1 AND document_ref IS NOT DISTINCT FROM $2::uuid AND text_sha256 = $3 LIMIT 1`,
      [a.caseId, a.documentRef, a.textSha256],
    );
    if (!again[0]) throw new Error('attestation insert returned no row');
    return again[0].ref;
  }
}
