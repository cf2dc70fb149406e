/**
 * document.upload (multipart): a document type from those the workflow allows and one file. The file's type is
 * decided by its content (PDF, JPEG or PNG; an executable, whatever its name, is refused as one), its size bounded,
 * it is scanned through the MALWARE_SCANNER port (INFECTED → refused naming the field, `malware-detected`, for the
 * caller to audit; a scanner that cannot answer → ActionFormUnavailableError) and stored by the DocumentStore
 * → { documentType, documentRef, sha256, scanStatus }. Where the workflow asks for an attestation (kyc-refresh),
 * the customer also signs its exact versioned text by typing their name: recorded in `attestation` (the name stays
 * in the mini-app) → parameters gain { attestationRef, attestationTextSha256 }.
 */
import type {
  ActionForm,
  ActionFormContext,
  FieldError,
  ParseResult,
  RenderState,
  UploadedFile,
} from '../action-form';
import { sniffDocumentType } from '../../documents/content-type';
import type { DocumentStore } from '../../documents/document.store';
import type { MalwareScanner } from '../../documents/malware-scanner';
import type { AttestationText } from './attestation-text';
import { ActionFormUnavailableError, MALWARE_DETECTED_RULE } from './form-errors';
import {
  allowedValues,
  consentText,
  errorSummary,
  formOpen,
  inputId,
  renderField,
  sha256Hex,
  submitButton,
  type FieldSpec,
} from './form-kit';

export interface DocumentUploadSettings {
  /** Largest file accepted, default 10 MiB. */
  maxBytes?: number;
  /** How long the scanner may take, default 15 s. */
  scanTimeoutMs?: number;
  /** Workflow id → the attestation its customers sign with the upload. */
  attestations?: Readonly<Record<string, AttestationText>>;
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const DEFAULT_DOCUMENT_TYPES = [
  'passport',
  'driving_licence',
  'national_id_card',
  'residence_permit',
  'proof_of_address',
  'proof_of_income',
  'bank_statement',
];
const TYPED_NAME = /^[\p{L}\p{M}][\p{L}\p{M} .'’-]{0,98}[\p{L}\p{M}.]$/u;
export const DOCUMENT_FIELD = 'document';

type DocumentStorePort = Pick<DocumentStore, 'put' | 'recordAttestation'>;

export class DocumentUploadForm implements ActionForm {
  readonly action = 'document.upload';
  readonly multipart = true;
  private readonly maxBytes: number;

  constructor(
    private readonly store: DocumentStorePort,
    private readonly scanner: MalwareScanner,
    private readonly settings: DocumentUploadSettings = {},
  ) {
    this.maxBytes = settings.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  }

  private attestation(ctx: ActionFormContext): AttestationText | null {
    return this.settings.attestations?.[ctx.workflowId] ?? null;
  }

  private documentTypes(ctx: ActionFormContext): string[] {
    return allowedValues(ctx, 'documentType') ?? DEFAULT_DOCUMENT_TYPES;
  }

  private fields(ctx: ActionFormContext): FieldSpec[] {
    const maxMb = String(Math.floor(this.maxBytes / (1024 * 1024)));
    const fields: FieldSpec[] = [
      {
        name: 'documentType',
        label: 'document.type.label',
        type: 'select',
        required: true,
        options: this.documentTypes(ctx).map((v) => ({ value: v, label: ctx.t(`document.type.${v}`) })),
      },
      {
        name: DOCUMENT_FIELD,
        label: 'document.file.label',
        hint: 'document.file.hint',
        type: 'file',
        required: true,
        accept: '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png',
        max: maxMb,
      },
    ];
    if (this.attestation(ctx)) {
      fields.push(
        {
          name: 'attestationName',
          label: 'attestation.name.label',
          hint: 'attestation.name.hint',
          type: 'text',
          required: true,
          autocomplete: 'name',
          maxlength: 100,
          min: '2',
          max: '100',
        },
        { name: 'attestationAgree', label: 'attestation.agree.label', type: 'text', required: true },
      );
    }
    return fields;
  }

  render(ctx: ActionFormContext, state: RenderState = {}): string {
    const e = ctx.escape;
    const fields = this.fields(ctx);
    const titleId = inputId(ctx, 'title');
    const attestation = this.attestation(ctx);
    const [documentType, file, name] = fields;
    let attestationHtml = '';
    if (attestation && name) {
      const agreeId = inputId(ctx, 'attestationAgree');
      const agreeError = state.errors?.find((x) => x.field === 'attestationAgree');
      const agreeField = fields.find((f) => f.name === 'attestationAgree');
      attestationHtml = `<fieldset class="attestation"><legend>${e(ctx.t('attestation.title'))}</legend><blockquote id="${e(
        inputId(ctx, 'attestationText'),
      )}" data-version="${e(attestation.version)}">${e(attestation.text)}</blockquote>${renderField(ctx, name, state)}<div class="field checkbox${
        agreeError ? ' field-error' : ''
      }">${
        agreeError && agreeField
          ? `<p class="error" id="${e(agreeId)}-error">${e(ctx.t(`error.${agreeError.rule}`, { field: ctx.t(agreeField.label) }))}</p>`
          : ''
      }<input type="checkbox" id="${e(agreeId)}" name="attestationAgree" value="yes" required aria-required="true" aria-describedby="${e(
        inputId(ctx, 'attestationText'),
      )}${agreeError ? ` ${e(agreeId)}-error` : ''}"${agreeError ? ' aria-invalid="true"' : ''}${
        state.values?.['attestationAgree'] === 'yes' ? ' checked' : ''
      }><label for="${e(agreeId)}">${e(ctx.t('attestation.agree.label'))}</label></div></fieldset>`;
    }
    return `<section class="action-form" aria-labelledby="${e(titleId)}"><h2 id="${e(titleId)}">${e(
      ctx.t('document.title'),
    )}</h2><p>${e(ctx.t('document.intro'))}</p>${errorSummary(ctx, fields, state.errors)}${formOpen(ctx, true)}${
      documentType ? renderField(ctx, documentType, state) : ''
    }${file ? renderField(ctx, file, state) : ''}${attestationHtml}${consentText(ctx, 'document.consent').html}${submitButton(
      ctx,
      'document.submit',
    )}</form></section>`;
  }

  async parse(
    ctx: ActionFormContext,
    body: Record<string, string>,
    files: UploadedFile[],
  ): Promise<ParseResult> {
    const errors: FieldError[] = [];
    const documentType = (body['documentType'] ?? '').trim();
    if (documentType === '') errors.push({ field: 'documentType', rule: 'required' });
    else if (!this.documentTypes(ctx).includes(documentType))
      errors.push({ field: 'documentType', rule: 'not-allowed' });

    const file = this.checkFile(files, errors);
    const attestation = this.attestation(ctx);
    const typedName = (body['attestationName'] ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
    if (attestation) {
      if (typedName === '') errors.push({ field: 'attestationName', rule: 'required' });
      else if (typedName.length > 100) errors.push({ field: 'attestationName', rule: 'too-long' });
      else if (!TYPED_NAME.test(typedName)) errors.push({ field: 'attestationName', rule: 'characters' });
      if (body['attestationAgree'] !== 'yes') errors.push({ field: 'attestationAgree', rule: 'required' });
    }
    if (errors.length > 0 || !file) return { ok: false, errors };

    let verdict;
    try {
      verdict = await this.scanner.scan(file.bytes, this.settings.scanTimeoutMs ?? 15_000);
    } catch (error) {
      // Larger than the scanner takes: trying again cannot help, so it is the field's error, not an outage.
      if ((error as { code?: unknown }).code === 'MALWARE_SCANNER_SIZE_LIMIT')
        return { ok: false, errors: [{ field: DOCUMENT_FIELD, rule: 'file-too-large' }] };
      throw new ActionFormUnavailableError('MALWARE_SCANNER_UNAVAILABLE');
    }
    if (verdict.status === 'INFECTED')
      return {
        ok: false,
        errors: [{ field: DOCUMENT_FIELD, rule: MALWARE_DETECTED_RULE }],
        refused: { rule: MALWARE_DETECTED_RULE, scanner: verdict.scanner, signature: verdict.signature },
      };

    const sha256 = sha256Hex(file.bytes);
    const stored = await this.store.put({
      caseId: ctx.caseId,
      sha256,
      detectedType: file.mime,
      bytes: file.bytes,
      scan:
        verdict.status === 'CLEAN'
          ? { status: 'CLEAN', scanner: verdict.scanner }
          : { status: 'NOT_SCANNED', scanner: 'none' },
    });
    const parameters: Record<string, string> = {
      documentType,
      documentRef: stored.ref,
      sha256,
      scanStatus: verdict.status,
    };
    if (attestation) {
      parameters['attestationRef'] = await this.store.recordAttestation({
        caseId: ctx.caseId,
        sessionRef: ctx.sessionRef,
        documentRef: stored.ref,
        textVersion: attestation.version,
        textSha256: attestation.sha256,
        typedName,
        signedAt: ctx.now,
      });
      parameters['attestationTextSha256'] = attestation.sha256;
    }
    return { ok: true, parameters, consentTextVersion: consentText(ctx, 'document.consent').version };
  }

  /** Exactly one file in the `document` field, of an accepted type by content and within the size bounds. */
  private checkFile(
    files: UploadedFile[],
    errors: FieldError[],
  ): { bytes: Buffer; mime: 'application/pdf' | 'image/jpeg' | 'image/png' } | null {
    const ours = files.filter((f) => f.field === DOCUMENT_FIELD);
    if (files.length > ours.length || ours.length > 1) {
      errors.push({ field: DOCUMENT_FIELD, rule: 'too-many-files' });
      return null;
    }
    const file = ours[0];
    if (!file) {
      errors.push({ field: DOCUMENT_FIELD, rule: 'file-missing' });
      return null;
    }
    if (file.bytes.length === 0) errors.push({ field: DOCUMENT_FIELD, rule: 'file-empty' });
    else if (file.bytes.length > this.maxBytes)
      errors.push({ field: DOCUMENT_FIELD, rule: 'file-too-large' });
    else {
      const sniffed = sniffDocumentType(file.bytes);
      switch (sniffed.kind) {
        case 'accepted':
          return { bytes: file.bytes, mime: sniffed.mime };
        case 'executable':
          errors.push({ field: DOCUMENT_FIELD, rule: 'file-executable' });
          break;
        case 'unknown':
          errors.push({ field: DOCUMENT_FIELD, rule: 'file-type' });
          break;
      }
    }
    return null;
  }
}
