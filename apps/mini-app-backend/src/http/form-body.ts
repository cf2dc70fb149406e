/**
 * Reading the pages' form posts with the platform's form reader (libs/platform form-body.ts): application/x-www-form-
 * urlencoded within the bounds below and, for the forms that upload, multipart/form-data (files in memory, bounded in
 * count and size by the upload settings). These routes are in configureHttp's rawBodyPrefixes, so they read their own
 * body.
 */
import { formReader } from '@closeout/platform';

export type { FormRead } from '@closeout/platform';

export const FORM_MAX_BYTES = 16 * 1024;
export const FORM_MAX_FIELDS = 50;

export const readForm = formReader({ maxBytes: FORM_MAX_BYTES, maxFields: FORM_MAX_FIELDS });
