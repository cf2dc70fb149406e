/**
 * The action forms the pages render (the ACTION_FORMS registry, one form per `action`) and the document reader the
 * session-guarded document route uses. Both are provided by the module; until the forms and the document store are
 * wired there, the registry is empty (every eligible action shows "call us") and no document is served.
 */
import type { InjectionToken } from '@nestjs/common';
import type { ActionForm } from './action-form';

export const DOCUMENT_READER: InjectionToken = Symbol('DOCUMENT_READER');

/** A stored document as the route serves it, only to a session of the same case. */
export interface DocumentReader {
  get(ref: string, caseId: string): Promise<{ bytes: Buffer; contentType: string } | undefined>;
}

/** Forms by the action they handle; a second form for one action is a wiring mistake and stops the boot. */
export function formsByAction(forms: readonly ActionForm[]): Map<string, ActionForm> {
  const byAction = new Map<string, ActionForm>();
  for (const form of forms) {
    if (byAction.has(form.action)) throw new Error(`two action forms handle ${form.action}`);
    byAction.set(form.action, form);
  }
  return byAction;
}
