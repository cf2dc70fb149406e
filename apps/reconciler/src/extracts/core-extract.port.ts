import { DomainError } from '@closeout/errors';

import type { Protocol } from '@closeout/contracts';
import type { Posting } from '@closeout/reconciler-domain';

/** Typed extract failures: the pass records them and judges nothing against that core this time. */
export type ExtractErrorCode = 'EXTRACT_TIMEOUT' | 'EXTRACT_UNAVAILABLE' | 'EXTRACT_INVALID_ANSWER';

export class ExtractError extends DomainError<ExtractErrorCode> {
  constructor(code: ExtractErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * One system of record's posting extract, whatever its protocol: the REST core's list endpoint, the SOAP core's
 * ListTransactions query, the SFTP batch core's daily posting report. Every call takes a timeout; no per-call state.
 */
export interface CoreExtractAdapter {
  readonly destination: string;
  readonly protocol: Protocol;
  /** Postings committed within [from, to). */
  extract(window: { from: number; to: number }, timeoutMs: number): Promise<Posting[]>;
  /** A cheap read proving the extract source answers; throws ExtractError when it does not. */
  probe(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export const CORE_EXTRACTS = Symbol('CORE_EXTRACTS');

export function asExtractError(error: unknown, destination: string, timeoutMs: number): ExtractError {
  if (error instanceof ExtractError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError')
    return new ExtractError('EXTRACT_TIMEOUT', `${destination}: extract timed out after ${timeoutMs} ms`, {
      cause: error,
    });
  return new ExtractError(
    'EXTRACT_UNAVAILABLE',
    `${destination}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/** Races `work` against the timeout; the loser's resources are the adapter's to release. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, destination: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ExtractError('EXTRACT_TIMEOUT', `${destination}: extract timed out after ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
