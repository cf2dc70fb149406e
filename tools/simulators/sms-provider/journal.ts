/**
 * TEST DOUBLE — part of the simulated Twilio-compatible SMS provider (tools/simulators/sms-provider). Not
 * production code.
 *
 * Every message the provider accepted (and so sent on to the carrier), in order, optionally mirrored to a JSONL
 * file: a harness counts duplicate sends from it, and a restarted simulator still answers lookups for them.
 */
import { AppendOnlyJournal } from '@closeout/simulators/shared';

export interface SmsJournalEntry {
  sequence: number;
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  acceptedAt: string;
}

export class SmsJournal extends AppendOnlyJournal<SmsJournalEntry> {
  constructor(file?: string) {
    super(file, (value) => typeof (value as Partial<SmsJournalEntry>).sid === 'string');
  }

  bySid(sid: string): SmsJournalEntry | undefined {
    return this.entries.find((e) => e.sid === sid);
  }
}
