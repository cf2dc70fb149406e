import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Documents the customer uploaded (bytes kept in the mini-app's own schema, found by ref and case) and the
 * attestations they signed (the exact text version shown and its SHA-256, the typed name, the time). One row per
 * case and content: a resubmitted upload finds the row it already made.
 */
export class MiniappDocuments1797500000000 implements MigrationInterface {
  name = 'MiniappDocuments1797500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE document (
      ref            uuid PRIMARY KEY,
      case_id        text NOT NULL CHECK (char_length(case_id) BETWEEN 1 AND 128),
      sha256         char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      detected_type  text NOT NULL CHECK (detected_type IN ('application/pdf', 'image/jpeg', 'image/png')),
      size_bytes     integer NOT NULL CHECK (size_bytes > 0),
      scan_status    text NOT NULL CHECK (scan_status IN ('CLEAN', 'NOT_SCANNED')),
      scanner        text NOT NULL,
      bytes          bytea NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT document_case_content_uq UNIQUE (case_id, sha256))`);
    await q.query(`CREATE TABLE attestation (
      ref             uuid PRIMARY KEY,
      case_id         text NOT NULL CHECK (char_length(case_id) BETWEEN 1 AND 128),
      session_ref     text NOT NULL,
      document_ref    uuid REFERENCES document (ref),
      text_version    text NOT NULL,
      text_sha256     char(64) NOT NULL CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
      typed_name      text NOT NULL CHECK (char_length(typed_name) BETWEEN 2 AND 100),
      signed_at       timestamptz NOT NULL,
      CONSTRAINT attestation_case_document_text_uq UNIQUE (case_id, document_ref, text_sha256))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE attestation');
    await q.query('DROP TABLE document');
  }
}
