import { MessagingPolicyError } from '../errors';

/** A workflow's allowed sending window in the recipient's local time, `HH:mm` to `HH:mm` (end exclusive). */
export interface SendWindow {
  start: string;
  end: string;
}

/** The widest window any workflow may configure: 08:00 to 21:00 local (the TCPA's calling hours). */
export const WIDEST_SEND_WINDOW: Readonly<SendWindow> = { start: '08:00', end: '21:00' };

/** A window as minutes of the local day: allowed when `startMinute <= minute < endMinute`. */
export interface ParsedSendWindow {
  startMinute: number;
  endMinute: number;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minuteOf(value: string): number | undefined {
  const m = HH_MM.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const WIDEST_START = 8 * 60;
const WIDEST_END = 21 * 60;

/**
 * Validates a configured window: both ends `HH:mm`, inside 08:00–21:00, start before end. A refusal names the field
 * (`<field>.start`, `<field>.end`) and the rule.
 */
export function parseSendWindow(window: SendWindow, field = 'allowedWindow'): ParsedSendWindow {
  const startMinute = minuteOf(window.start);
  if (startMinute === undefined)
    throw new MessagingPolicyError(
      'INVALID_SEND_WINDOW',
      `${field}.start`,
      'must be a local time HH:mm (00:00 to 23:59)',
    );
  const endMinute = minuteOf(window.end);
  if (endMinute === undefined)
    throw new MessagingPolicyError(
      'INVALID_SEND_WINDOW',
      `${field}.end`,
      'must be a local time HH:mm (00:00 to 23:59)',
    );
  if (startMinute < WIDEST_START)
    throw new MessagingPolicyError(
      'INVALID_SEND_WINDOW',
      `${field}.start`,
      `must not be before ${WIDEST_SEND_WINDOW.start}: the widest allowed window is ${WIDEST_SEND_WINDOW.start}–${WIDEST_SEND_WINDOW.end} local time`,
    );
  if (endMinute > WIDEST_END)
    throw new MessagingPolicyError(
      'INVALID_SEND_WINDOW',
      `${field}.end`,
      `must not be after ${WIDEST_SEND_WINDOW.end}: the widest allowed window is ${WIDEST_SEND_WINDOW.start}–${WIDEST_SEND_WINDOW.end} local time`,
    );
  if (endMinute <= startMinute)
    throw new MessagingPolicyError('INVALID_SEND_WINDOW', `${field}.end`, 'must be after the start');
  return { startMinute, endMinute };
}
