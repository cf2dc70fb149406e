import type { WorkflowDefinition } from '@closeout/workflow-domain';
import type { AttemptProgress, CaseRecord, OutreachProgress } from '../cases/case-record';

/** The outreach id of attempt n of a case: stable per (case, attempt), so messaging admits it once. */
export const outreachIdOf = (caseId: string, attempt: number): string => `out_${caseId}_${attempt}`;

/** The attempt an outreach id names, or undefined when it is not one of this case's ids. */
export function attemptOf(caseId: string, outreachId: string): number | undefined {
  const prefix = `out_${caseId}_`;
  if (!outreachId.startsWith(prefix)) return undefined;
  const rest = outreachId.slice(prefix.length);
  return /^[1-9]\d{0,5}$/.test(rest) ? Number(rest) : undefined;
}

export interface Round {
  /** The attempt the round started with (1, or the one after the attempts made before a hand-back). */
  first: number;
  /** Its last attempt: the first plus one per reminder of the cadence. */
  last: number;
  startedAt: number;
}

/**
 * The cadence round in hand. A case opened before rounds were recorded is taken to be in its first round, started
 * when the case opened.
 */
export function roundOf(record: CaseRecord, definition: WorkflowDefinition): Round {
  return (
    record.outreachProgress.round ?? {
      first: 1,
      last: 1 + definition.outreach.reminders.length,
      startedAt: record.openedAt.getTime(),
    }
  );
}

/**
 * How long after attempt m-1 was made attempt m is due: the cadence's reminders are delays after the round's first
 * message, so the gap is the difference between consecutive reminders (the first reminder's delay for the second
 * attempt). Undefined when m is not a reminder of the round.
 */
export function gapBefore(definition: WorkflowDefinition, round: Round, attempt: number): number | undefined {
  const i = attempt - round.first - 1;
  const reminders = definition.outreach.reminders;
  const reminder = reminders[i];
  if (i < 0 || !reminder) return undefined;
  return reminder.ms - (reminders[i - 1]?.ms ?? 0);
}

export function attemptProgress(progress: OutreachProgress, attempt: number): AttemptProgress | undefined {
  return progress.attempts?.[String(attempt)];
}

export function setAttemptProgress(record: CaseRecord, attempt: number, value: AttemptProgress): void {
  record.outreachProgress = {
    ...record.outreachProgress,
    attempts: { ...record.outreachProgress.attempts, [String(attempt)]: value },
  };
}

/**
 * What a SUPPRESSED outreach.event means for the case, by messaging's reason code:
 * - OPTED_OUT: the customer revoked the purpose: as an OPTED_OUT event.
 * - UNREACHABLE: no consent, no (valid) contact point, or no safe time to send in the customer's zones: nothing the
 *   cadence can fix, an agent must; also any reason this engine does not know (an agent looks rather than the
 *   cadence going on blind).
 * - UNANSWERED: a frequency cap held it back; when the cap allows again is not known here, so the attempt counts as
 *   made and unanswered and the next reminder follows from it as from a sent one.
 * - CHANNEL_FAILED: every channel messaging tried had failed permanently, or needs a template it lacks: as a FAILED
 *   attempt (the next attempt, on the cadence's next channel, goes out now).
 */
export type SuppressionRoute = 'OPTED_OUT' | 'UNREACHABLE' | 'UNANSWERED' | 'CHANNEL_FAILED';

const SUPPRESSION_ROUTES: Record<string, SuppressionRoute> = {
  SUPPRESSED_OPTED_OUT: 'OPTED_OUT',
  SUPPRESSED_NO_CONSENT: 'UNREACHABLE',
  SUPPRESSED_NO_CONTACT_POINT: 'UNREACHABLE',
  SUPPRESSED_INVALID_CONTACT_POINT: 'UNREACHABLE',
  SUPPRESSED_NO_SAFE_SEND_TIME: 'UNREACHABLE',
  SUPPRESSED_FREQUENCY_CAP: 'UNANSWERED',
  SUPPRESSED_CHANNELS_EXHAUSTED: 'CHANNEL_FAILED',
  SUPPRESSED_TEMPLATE_REQUIRED: 'CHANNEL_FAILED',
};

export function suppressionRoute(reason: string | null | undefined): SuppressionRoute {
  return (reason ? SUPPRESSION_ROUTES[reason] : undefined) ?? 'UNREACHABLE';
}
