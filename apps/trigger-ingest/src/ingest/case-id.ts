import { createHash } from 'node:crypto';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Derived from the source event, so a redelivered or re-posted event names the same case (and correlation). */
export const caseIdOf = (sourceSystem: string, eventId: string): string =>
  `case_${sha256(`${sourceSystem}\u0000${eventId}`).slice(0, 24)}`;
