import { randomUUID } from 'node:crypto';
import { createClientAsync, type Client } from 'soap';
import type { Posting } from '@closeout/reconciler-domain';
import { asExtractError, ExtractError, withTimeout, type CoreExtractAdapter } from './core-extract.port';
import type { SoapExtractConfig } from './extract-config';

const NS = 'urn:closeout:sim:corebanking:2019-2';

interface TransactionXml {
  TransactionRef?: unknown;
  IdempotencyKey?: unknown;
  MinorUnits?: unknown;
  CurrencyCode?: unknown;
  PostedAt?: unknown;
}

/** The SOAP core's `ListTransactions { PostedFrom, PostedTo, MaxResults }` query, through node-soap and the WSDL. */
export class SoapCoreExtractAdapter implements CoreExtractAdapter {
  readonly protocol = 'SOAP' as const;

  constructor(private readonly config: SoapExtractConfig) {}

  get destination(): string {
    return this.config.destination;
  }

  async extract(window: { from: number; to: number }, timeoutMs: number): Promise<Posting[]> {
    try {
      const client = await withTimeout(this.client(timeoutMs), timeoutMs, this.destination);
      client.addSoapHeader(
        { RequestContext: { ClientCorrelationId: `reconciler-${randomUUID()}` } },
        '',
        'cb',
        NS,
      );
      const [result] = (await client['ListTransactionsAsync'](
        {
          PostedFrom: new Date(window.from).toISOString(),
          PostedTo: new Date(window.to).toISOString(),
          MaxResults: this.config.maxResults,
        },
        { timeout: timeoutMs },
      )) as [{ Transaction?: TransactionXml | TransactionXml[]; Truncated?: unknown } | null];
      const list = result?.Transaction === undefined ? [] : ([] as TransactionXml[]).concat(result.Transaction);
      if (result?.Truncated === true || result?.Truncated === 'true')
        throw new ExtractError('EXTRACT_INVALID_ANSWER', `${this.destination}: more than ${this.config.maxResults} postings in the window; raise maxResults`);
      return list.map((t) => this.toPosting(t));
    } catch (error) {
      throw asExtractError(error, this.destination, timeoutMs);
    }
  }

  async probe(timeoutMs: number): Promise<void> {
    const url = this.config.healthUrl ?? this.config.wsdlUrl;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200) throw new ExtractError('EXTRACT_UNAVAILABLE', `${this.destination}: ${url} answered ${res.status}`);
    } catch (error) {
      throw asExtractError(error, this.destination, timeoutMs);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A fresh client per call: node-soap clients carry headers, and adapters hold no per-call state. */
  private client(timeoutMs: number): Promise<Client> {
    return createClientAsync(this.config.wsdlUrl, {
      wsdl_options: { timeout: timeoutMs, proxy: false },
      disableCache: true,
      ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}),
    });
  }

  private toPosting(t: TransactionXml): Posting {
    const postedAt =
      t.PostedAt instanceof Date ? t.PostedAt.getTime() : typeof t.PostedAt === 'string' ? Date.parse(t.PostedAt) : NaN;
    if (typeof t.TransactionRef !== 'string' || Number.isNaN(postedAt))
      throw new ExtractError('EXTRACT_INVALID_ANSWER', `${this.destination}: a Transaction lacks TransactionRef or PostedAt`);
    const minor = typeof t.MinorUnits === 'number' ? t.MinorUnits : typeof t.MinorUnits === 'string' ? Number(t.MinorUnits) : null;
    return {
      providerRef: t.TransactionRef,
      idempotencyKey: typeof t.IdempotencyKey === 'string' && t.IdempotencyKey !== '' ? t.IdempotencyKey : null,
      amountMinor: minor !== null && Number.isSafeInteger(minor) ? minor : null,
      currency: typeof t.CurrencyCode === 'string' ? t.CurrencyCode : null,
      postedAt,
    };
  }
}
