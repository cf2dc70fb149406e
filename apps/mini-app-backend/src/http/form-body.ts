/**
 * Reading the pages' form posts: application/x-www-form-urlencoded (bounded in size and field count) and, for the
 * forms that upload, multipart/form-data through multer (files in memory, bounded in count and size). These routes
 * are in configureHttp's rawBodyPrefixes, so they read their own body.
 */
import type { Request, Response } from 'express';
import { urlencoded } from 'express';
import multer, { MulterError } from 'multer';
import type { UploadedFile } from '../actions/action-form';

export const FORM_MAX_BYTES = 16 * 1024;
export const FORM_MAX_FIELDS = 50;

export type FormRead =
  | { ok: true; fields: Record<string, string>; files: UploadedFile[] }
  | { ok: false; status: 400 | 413 | 415; rule: string; field?: string; max?: number; tooMany?: boolean };

const parseUrlencoded = urlencoded({
  extended: false,
  limit: FORM_MAX_BYTES,
  parameterLimit: FORM_MAX_FIELDS,
});

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

export function readForm(
  req: Request,
  res: Response,
  upload: { multipart: boolean; maxFiles: number; maxBytes: number },
): Promise<FormRead> {
  const type = req.headers['content-type'] ?? '';
  if (upload.multipart && /^multipart\/form-data/i.test(type)) {
    const reader = multer({
      storage: multer.memoryStorage(),
      limits: {
        files: upload.maxFiles,
        fileSize: upload.maxBytes,
        fields: FORM_MAX_FIELDS,
        fieldSize: FORM_MAX_BYTES,
        parts: FORM_MAX_FIELDS + upload.maxFiles,
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
  }
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
            ? {
                ok: false,
                status: 413,
                rule: `form: at most ${FORM_MAX_BYTES} bytes and ${FORM_MAX_FIELDS} fields`,
              }
            : { ok: false, status: 400, rule: 'form: could not be read' },
        );
      }
      resolve({ ok: true, fields: plainFields(req.body), files: [] });
    }),
  );
}
