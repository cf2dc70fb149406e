/**
 * The case's trace in the mini-app. A customer's browser sends no trace context, so each request starts a trace of its
 * own (its SERVER span). Once a request knows its link or session, it does the case's work in a span that continues
 * the trace of the message that carried the link (messaging's outreach.event, whose context is kept with the link
 * and the session) and links to the request's span. Every message the request writes afterwards (its audit events, a
 * `miniapp.action`, an `identity.locked`) is written in that span's context (`addMessageTrace`, read by the outbox
 * by correlation id), so a case's work is one trace from the trigger to its completion.
 */
import type { Request, Response } from 'express';
import { continueKeptTrace, type KeptTraceContext } from '@closeout/telemetry';

export interface CaseTraceFacts extends KeptTraceContext {
  caseId: string;
  correlationId: string;
  workflowId?: string;
}

type RoutedRequest = Request & { route?: { path?: unknown } };

/**
 * Starts (once per request and case) the request's span in the case's trace, ended when the answer is sent. Without
 * a kept trace context the request's own trace stays the one its messages continue.
 */
export function continueCaseTrace(req: RoutedRequest, res: Response, facts: CaseTraceFacts): void {
  const span = continueKeptTrace(`miniapp ${req.method}`, facts.correlationId, facts, {
    'closeout.case_id': facts.caseId,
    ...(facts.workflowId ? { 'closeout.workflow_id': facts.workflowId } : {}),
  });
  if (!span) return;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
    if (route) span.updateName(`miniapp ${req.method} ${route}`);
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
}
