import type { Posting } from '@closeout/reconciler-domain';
import { asExtractError, ExtractError, type CoreExtractAdapter } from './core-extract.port';
import type { RestExtractConfig } from './extract-config';

interface PostingJson {
  transaction_id?: unknown;
  idempotency_key?: unknown;
  committed_at?: unknown;
  amount_minor?: unknown;
  currency?: unknown;
}

/** The REST core's list endpoint, `GET /api/postings?posted_from&posted_to&since&limit`, paged by sequence. */
export class RestCoreExtractAdapter implements CoreExtractAdapter {
  readonly protocol = 'REST' as const;

  constructor(private readonly config: RestExtractConfig) {}

  get destination(): string {
    return this.config.destination;
  }

  async extract(window: { from: number; to: number }, timeoutMs: number): Promise<Posting[]> {
    // One deadline for all pages: the timeout bounds the whole extract, not each request.
    const signal = AbortSignal.timeout(timeoutMs);
    const postings: Posting[] = [];
    let since = 0;
    try {
      for (;;) {
        const url = new URL('/api/postings', this.config.baseUrl);
        url.searchParams.set('posted_from', new Date(window.from).toISOString());
        url.searchParams.set('posted_to', new Date(window.to).toISOString());
        url.searchParams.set('since', String(since));
        url.searchParams.set('limit', String(this.config.pageSize));
        const res = await fetch(url, { headers: this.headers(), signal });
        if (res.status !== 200)
          throw new ExtractError('EXTRACT_UNAVAILABLE', `${this.destination}: list endpoint answered ${res.status}`);
        const body = (await res.json()) as { data?: unknown; has_more?: unknown; next_since?: unknown };
        if (!Array.isArray(body.data) || typeof body.next_since !== 'number')
          throw new ExtractError('EXTRACT_INVALID_ANSWER', `${this.destination}: data must be an array and next_since a number`);
        for (const p of body.data as PostingJson[]) postings.push(this.toPosting(p));
        if (body.has_more !== true) return postings;
        since = body.next_since;
      }
    } catch (error) {
      throw asExtractError(error, this.destination, timeoutMs);
    }
  }

  async probe(timeoutMs: number): Promise<void> {
    try {
      const res = await fetch(new URL('/health', this.config.baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200) throw new ExtractError('EXTRACT_UNAVAILABLE', `${this.destination}: /health answered ${res.status}`);
    } catch (error) {
      throw asExtractError(error, this.destination, timeoutMs);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private headers(): Record<string, string> {
    return {
      Accept: 'application/json',
      'Api-Version': this.config.apiVersion,
      ...(this.config.token ? { Authorization: `Bearer ${this.config.token}` } : {}),
    };
  }

  private toPosting(p: PostingJson): Posting {
    const postedAt = typeof p.committed_at === 'string' ? Date.parse(p.committed_at) : NaN;
    if (typeof p.transaction_id !== 'string' || Number.isNaN(postedAt))
      throw new ExtractError('EXTRACT_INVALID_ANSWER', `${this.destination}: a posting lacks transaction_id or committed_at`);
    return {
      providerRef: p.transaction_id,
      idempotencyKey: typeof p.idempotency_key === 'string' ? p.idempotency_key : null,
      amountMinor: typeof p.amount_minor === 'number' ? p.amount_minor : null,
      currency: typeof p.currency === 'string' ? p.currency : null,
      postedAt,
    };
  }
}
