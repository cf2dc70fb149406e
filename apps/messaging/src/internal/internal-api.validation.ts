/**
 * What the internal API accepts, as zod schemas, and the problems a refusal names (field and rule, never the value).
 */
import { z } from 'zod';

/** The largest body the internal API reads (configureHttp refuses a larger one with 413 before parsing). */
export const INTERNAL_API_MAX_BODY_BYTES = 1024;

export const TOKEN_SHA256_RULE = 'must be 64 lower-case hex characters (the SHA-256 of the link token)';
export const tokenSha256Schema = z.string().regex(/^[0-9a-f]{64}$/, TOKEN_SHA256_RULE);

const bodyObject = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'unknown fields are not accepted' : 'must be a JSON object',
  });

export const oneTimeCodeBody = bodyObject({
  code: z.string('must be a string of exactly 6 digits').regex(/^[0-9]{6}$/, 'must be exactly 6 digits'),
});

export const optOutBody = bodyObject({
  /** `mini-app`: the customer's "stop messages" in the mini-app; `list-unsubscribe`: an email's one-click link, which
   *  the public link host (the mini-app) received on its own `/l/<token>/unsubscribe`. */
  source: z.enum(['mini-app', 'list-unsubscribe'], 'must be mini-app or list-unsubscribe'),
});

export interface FieldProblem {
  field: string;
  rule: string;
}

export const problemsOf = (error: z.ZodError): FieldProblem[] =>
  error.issues.map((i) => ({ field: i.path.join('.') || '(body)', rule: i.message }));
