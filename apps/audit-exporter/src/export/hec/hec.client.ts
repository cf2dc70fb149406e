import type { ExportRecord } from '../ocsf';
import { toOcsf } from '../ocsf';
import type { FailureReason } from '../export.metrics';
import type { HecSinkConfig } from '../export.config';

export type HecAnswer =
  | { kind: 'ok'; ackId: number }
  | { kind: 'acks'; acks: Record<string, boolean> }
  | { kind: 'failed'; reason: FailureReason; detail: string; retryAfterMs?: number };

/**
 * One pure function from HEC's answer to what it means (Splunk's documented status codes and `code` values): 200
 * code 0 is accepted; 503 (code 9 busy) and 429 back off; 401/403 (codes 1–4: token missing, invalid, disabled) need
 * an operator; any other 4xx is a request the collector refuses (never skipped: the position stays).
 */
export function classifyHecAnswer(status: number, body: unknown, retryAfter: string | null): HecAnswer {
  const b = (body ?? {}) as { code?: unknown; text?: unknown; ackId?: unknown; acks?: unknown };
  const detail = `HTTP ${status}${typeof b.code === 'number' ? ` code ${b.code}` : ''}${typeof b.text === 'string' ? ` ${b.text.slice(0, 120)}` : ''}`;
  if (status === 200) {
    if (typeof b.ackId === 'number' && Number.isInteger(b.ackId) && b.ackId >= 0)
      return { kind: 'ok', ackId: b.ackId };
    if (b.acks && typeof b.acks === 'object')
      return { kind: 'acks', acks: b.acks as Record<string, boolean> };
    // Accepted without an ackId: indexer acknowledgement is off for this token, so delivery can never be proved.
    return {
      kind: 'failed',
      reason: 'rejected',
      detail: `${detail}: no ackId (indexer acknowledgement off for the token?)`,
    };
  }
  const seconds = retryAfter !== null ? Number(retryAfter) : Number.NaN;
  const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : undefined;
  if (status === 503 || status === 429) {
    return {
      kind: 'failed',
      reason: 'busy',
      detail,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (status === 401 || status === 403) return { kind: 'failed', reason: 'unauthorized', detail };
  if (status >= 500) return { kind: 'failed', reason: 'unavailable', detail };
  return { kind: 'failed', reason: 'rejected', detail };
}

/** The HEC event envelope: the OCSF event, its time in epoch seconds, and the Closeout event id as an indexed field. */
export function hecEnvelope(
  record: ExportRecord,
  config: Pick<HecSinkConfig, 'index' | 'sourcetype'>,
): string {
  const ocsf = toOcsf(record);
  return JSON.stringify({
    time: ocsf.time / 1000,
    host: record.event.host,
    source: 'closeout:audit',
    sourcetype: config.sourcetype,
    ...(config.index ? { index: config.index } : {}),
    event: ocsf,
    fields: { closeout_event_id: record.eventId, closeout_seq: String(record.seq) },
  });
}

/** HEC over fetch: one call per request, each with the configured timeout. Holds no per-call state. */
export class HecClient {
  constructor(
    private readonly config: HecSinkConfig,
    readonly channel: string,
  ) {}

  private async post(path: string, body: string): Promise<HecAnswer> {
    let res: Response;
    try {
      res = await fetch(`${this.config.url}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Splunk ${this.config.token}`,
          'X-Splunk-Request-Channel': this.channel,
          'Content-Type': 'application/json',
        },
        body,
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError')
        return {
          kind: 'failed',
          reason: 'timeout',
          detail: `no answer in ${this.config.requestTimeoutMs} ms`,
        };
      return { kind: 'failed', reason: 'unavailable', detail: e.cause?.code ?? e.message };
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return classifyHecAnswer(res.status, parsed, res.headers.get('retry-after'));
  }

  send(records: readonly ExportRecord[]): Promise<HecAnswer> {
    return this.post('/services/collector/event', records.map((r) => hecEnvelope(r, this.config)).join('\n'));
  }

  ack(ackIds: readonly number[]): Promise<HecAnswer> {
    return this.post('/services/collector/ack', JSON.stringify({ acks: ackIds }));
  }
}
