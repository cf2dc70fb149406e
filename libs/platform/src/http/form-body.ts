/**
 * Reading the form posts of server-rendered pages (the mini-app's and the ops console's): application/x-www-form-
 * urlencoded, bounded in size and field count, and — where a form uploads — multipart/form-data through multer
 * (files in memory, bounded in count and size). String fields only; a repeated field keeps its first value. A body of
 * another type, or over a bound, is refused with the status to answer and the rule it broke; never thrown.
 */
import type { Request, RequestHandler, Response } from 'express';
import { urlencoded } from 'express';
import multer, { MulterError } from 'multer';

/** How large a form may be: its bytes (each field's, for multipart) and its number of fields. */
export interface FormLimits {
  maxBytes: number;
  maxFields: number;
}

/** Whether this form may upload, and how many files of what size. */
export interface UploadLimits {
  multipart: boolean;
  maxFiles: number;
  maxBytes: number;
}

export interface UploadedFile {
  field: string;
  originalName: string;
  declaredType: string;
  bytes: Buffer;
}

export type FormRead =
  | { ok: true; fields: Record<string, string>; files: UploadedFile[] }
  | { ok: false; status: 400 | 413 | 415; rule: string; field?: string; max?: number; tooMany?: boolean };

export type FormReader = (req: Request, res: Response, upload?: UploadLimits) => Promise<FormRead>;

/** String fields only; a repeated field keeps its first value; keys and values bounded by the body limit. */
function plainFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

function bounded(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

/** A reader of forms within `limits`; `upload` (per form) lets multipart bodies in. */
export function formReader(limits: FormLimits): FormReader {
  const maxBytes = bounded('maxBytes', limits.maxBytes, 1, 1024 * 1024);
  const maxFields = bounded('maxFields', limits.maxFields, 1, 1000);
  const parseUrlencoded = urlencoded({ extended: false, limit: maxBytes, parameterLimit: maxFields });
  const tooLarge = `form: at most ${maxBytes} bytes and ${maxFields} fields`;

  const multipart = (req: Request, res: Response, upload: UploadLimits): Promise<FormRead> => {
    const reader: RequestHandler = multer({
      storage: multer.memoryStorage(),
      limits: {
        files: upload.maxFiles,
        fileSize: upload.maxBytes,
        fields: maxFields,
        fieldSize: maxBytes,
        parts: maxFields + upload.maxFiles,
        fieldNameSize: 64,
      },
    }).any();
    return new Promise((resolve) =>
      reader(req, res, (error?: unknown) => {
        if (error instanceof MulterError) {
          if (error.code === 'LIMIT_FILE_SIZE')
            return resolve({
              ok: false,
              status: 413,
              rule: 'file too large',
              field: error.field ?? 'file',
              max: upload.maxBytes,
            });
          if (error.code === 'LIMIT_FILE_COUNT')
            return resolve({
              ok: false,
              status: 413,
              rule: 'too many files',
              tooMany: true,
              max: upload.maxFiles,
            });
          return resolve({
            ok: false,
            status: 413,
            rule: `form: ${error.code.toLowerCase().replace(/_/g, ' ')}`,
          });
        }
        if (error) return resolve({ ok: false, status: 400, rule: 'form: could not be read' });
        const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((f) => ({
          field: f.fieldname,
          originalName: f.originalname.slice(0, 255),
          declaredType: f.mimetype.slice(0, 255),
          bytes: f.buffer,
        }));
        resolve({ ok: true, fields: plainFields(req.body), files });
      }),
    );
  };

  return (req, res, upload) => {
    const type = req.headers['content-type'] ?? '';
    if (upload?.multipart && /^multipart\/form-data/i.test(type)) return multipart(req, res, upload);
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (hasBody && !/^application\/x-www-form-urlencoded/i.test(type))
      return Promise.resolve({
        ok: false,
        status: 415,
        rule: 'body: must be application/x-www-form-urlencoded',
      });
    return new Promise((resolve) =>
      parseUrlencoded(req, res, (error?: unknown) => {
        if (error) {
          const e = error as { type?: string };
          return resolve(
            e.type === 'entity.too.large' || e.type === 'parameters.too.many'
              ? { ok: false, status: 413, rule: tooLarge }
              : { ok: false, status: 400, rule: 'form: could not be read' },
          );
        }
        resolve({ ok: true, fields: plainFields(req.body), files: [] });
      }),
    );
  };
}
