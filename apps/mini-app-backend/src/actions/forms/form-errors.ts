/**
 * What a form throws when it cannot decide because something it depends on is down (the card processor, the
 * malware scanner): not the customer's fault, so not a field error. The controller answers 503 with Retry-After and
 * keeps what the customer typed.
 */
export type ActionFormUnavailableCode = 'CARD_PROCESSOR_UNAVAILABLE' | 'MALWARE_SCANNER_UNAVAILABLE';

export class ActionFormUnavailableError extends Error {
  override readonly name = 'ActionFormUnavailableError';

  constructor(
    readonly code: ActionFormUnavailableCode,
    /** Seconds the customer may wait before trying again. */
    readonly retryAfterSeconds = 30,
  ) {
    super(code);
  }
}

/** The rule of a document refused because the scanner found malware: the caller audits it. */
export const MALWARE_DETECTED_RULE = 'malware-detected';
