/**
 * TEST DOUBLE — part of the simulated WhatsApp Cloud API (tools/simulators/whatsapp-provider). Not production code.
 *
 * Every message the API accepted (and so sent on), in order, optionally mirrored to a JSONL file: a harness counts
 * duplicate sends from it.
 */
import { AppendOnlyJournal } from '@closeout/simulators/shared';

export interface WhatsAppJournalEntry {
  sequence: number;
  /** The `wamid.…` the API answered with. */
  id: string;
  phoneNumberId: string;
  /** The recipient's WhatsApp id (digits, no +). */
  waId: string;
  type: 'text' | 'template';
  /** The text body, or the template's name. */
  text: string;
  template: { name: string; language: string; parameters: string[] } | null;
  bizOpaqueCallbackData: string | null;
  acceptedAt: string;
}

export class WhatsAppJournal extends AppendOnlyJournal<WhatsAppJournalEntry> {
  constructor(file?: string) {
    super(file, (value) => typeof (value as Partial<WhatsAppJournalEntry>).waId === 'string');
  }
}
