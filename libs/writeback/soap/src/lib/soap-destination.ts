import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { BasicAuthSecurity, Client, createClientAsync, WSSecurity, type WSDL } from 'soap';
import { startHttpClientCall } from '@closeout/telemetry';
import {
  AmbiguousOutcomeError,
  assertUnreachable,
  ValidationError,
  type UnknownLookupResult,
  type WireMessage,
} from '@closeout/writeback-domain';
import {
  boundedText,
  classifyNetworkFailure,
  type LookupQuery,
  type NetworkFailure,
  plausibleProviderRef,
  type SendReceipt,
  type SendRequest,
  WatchedCall,
  type WritebackDestination,
} from '@closeout/writeback-core';
import { classifySoapFault, classifySoapHttpStatus, soapFaultOf } from './classify-soap-fault';
import {
  effectiveFaultMap,
  type SoapDestinationAuth,
  type SoapDestinationConfig,
} from './soap-destination.config';

/** The namespace of the RequestContext header (CoreBankingService-2019.2). */
export const SOAP_CONTEXT_NAMESPACE = 'urn:closeout:sim:corebanking:2019-2';

/** A SOAP operation name as it appears in a WSDL: anything else in `wire.target` is a mapping bug. */
const OPERATION = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Exchange =
  | { kind: 'result'; result: unknown; header: unknown }
  | { kind: 'fault'; error: unknown; status: number | undefined }
  | { kind: 'failure'; failure: NetworkFailure };

type SoapCallback = (err: unknown, result: unknown, raw: unknown, header: unknown) => void;
type SoapMethod = (
  args: unknown,
  callback: SoapCallback,
  options: object,
  extraHeaders: Record<string, string>,
) => void;

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  const inner = field(value, '$value') ?? value;
  return typeof inner === 'string' && inner.length > 0 ? inner : undefined;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The ClientCorrelationId sent with a write: the idempotency key itself. It is what QueryTransaction searches by, so
 * it must be derivable after a crash from the ledger row alone — the per-attempt trace correlation id is not, and a
 * hash of the key would add nothing but a step to undo when reading the core's logs.
 */
export function clientCorrelationIdFor(idempotencyKey: string): string {
  return idempotencyKey;
}

/**
 * One SOAP system of record behind the writeback port. The WSDL is loaded once; each call builds a fresh node-soap
 * Client over it, because node-soap keeps SOAP headers and last-response state on the client, and a shared client
 * would mix one call's RequestContext into another's.
 */
export class SoapDestination implements WritebackDestination {
  readonly protocol = 'SOAP' as const;
  readonly name: string;

  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private wsdl: Promise<WSDL> | undefined;
  private closed = false;

  constructor(private readonly config: SoapDestinationConfig) {
    this.name = config.name;
    const target = config.endpoint ?? config.wsdlUrl ?? config.healthUrl ?? 'http://localhost';
    this.secure = new URL(target).protocol === 'https:';
    this.agent = this.secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  async send(request: SendRequest): Promise<SendReceipt> {
    const operation = this.checkWire(request.wire);
    const correlationId = clientCorrelationIdFor(request.idempotencyKey);
    const exchange = await this.call(
      operation,
      request.wire.body,
      {
        ClientCorrelationId: correlationId,
        IdempotencyKey: request.idempotencyKey,
      },
      request.signal,
    );
    if (exchange.kind === 'failure') throw classifyNetworkFailure(exchange.failure, this.name);
    if (exchange.kind === 'fault') throw this.classifyFault(exchange);

    const echoed = text(field(field(exchange.header, 'ResponseContext'), 'ClientCorrelationId'));
    // An answer for another correlation id is someone else's answer: ours may or may not have been applied.
    if (echoed !== correlationId) {
      throw new AmbiguousOutcomeError(
        `${this.name} answered with ResponseContext.ClientCorrelationId ${echoed ?? '(none)'}, expected ${correlationId}`,
      );
    }
    const rawStatus = text(field(exchange.result, 'Status'));
    const status = rawStatus === undefined ? undefined : boundedText(rawStatus, 40);
    const providerCode = status === undefined ? {} : { providerCode: status };
    // A WriteResult is evidence, read by the destination's documented statuses: a refusal is a refusal, and a status
    // nobody documented is no proof of a posting.
    if (status !== undefined && this.config.rejectedStatuses.includes(status)) {
      throw new ValidationError([{ path: 'response', rule: `${this.name} refused it: Status ${status}` }], {
        sent: true,
        providerCode: status,
      });
    }
    if (status === undefined || !this.config.appliedStatuses.includes(status)) {
      throw new AmbiguousOutcomeError(
        `${this.name} answered ${operation} with Status ${status ?? '(none)'}, which is not one it documents as posted`,
        providerCode,
      );
    }
    const rawRef = text(field(exchange.result, 'TransactionRef'));
    const providerRef = plausibleProviderRef(rawRef);
    if (providerRef === undefined) {
      throw new AmbiguousOutcomeError(
        `${this.name} answered ${operation} ${rawRef === undefined ? 'without a TransactionRef' : 'with a TransactionRef that is no reference'}`,
        providerCode,
      );
    }
    return { providerRef, ...providerCode };
  }

  /** QueryTransaction by ClientCorrelationId, then by TransactionRef when one is known. Never throws. */
  async lookup(query: LookupQuery): Promise<UnknownLookupResult> {
    const correlationId = clientCorrelationIdFor(query.idempotencyKey);
    const attempts: Record<string, string>[] = [{ ClientCorrelationId: correlationId }];
    if (query.providerRef !== null) attempts.push({ TransactionRef: query.providerRef });
    for (const args of attempts) {
      const exchange = await this.call(
        'QueryTransaction',
        args,
        { ClientCorrelationId: correlationId },
        query.signal,
      );
      const by = Object.entries(args)
        .map(([k, v]) => `${k} ${v}`)
        .join('');
      if (exchange.kind === 'failure') {
        return {
          kind: 'inconclusive',
          reason: `QueryTransaction by ${by} failed (${exchange.failure.code ?? 'network error'}: ${exchange.failure.message})`,
        };
      }
      if (exchange.kind === 'fault') {
        return {
          kind: 'inconclusive',
          reason: `QueryTransaction by ${by} faulted: ${this.classifyFault(exchange).message}`,
        };
      }
      const found = text(field(exchange.result, 'Found')) ?? field(exchange.result, 'Found');
      if (found === true || found === 'true') {
        const ref = plausibleProviderRef(text(field(exchange.result, 'TransactionRef')));
        if (ref === undefined) {
          return {
            kind: 'inconclusive',
            reason: `QueryTransaction by ${by} said Found without a usable TransactionRef`,
          };
        }
        return { kind: 'found', providerRef: ref };
      }
      if (found !== false && found !== 'false') {
        return { kind: 'inconclusive', reason: `QueryTransaction by ${by} answered without Found` };
      }
    }
    return { kind: 'not_found' };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    const url = this.config.healthUrl ?? this.config.wsdlUrl ?? `${this.config.endpoint ?? ''}?wsdl`;
    const response = await axios
      .get<string>(url, {
        timeout: this.config.timeouts.connectMs,
        proxy: false,
        maxRedirects: 0,
        responseType: 'text',
        validateStatus: () => true,
        headers: this.basicAuthHeader(),
        ...(this.secure ? { httpsAgent: this.agent } : { httpAgent: this.agent }),
        ...(signal ? { signal } : {}),
      })
      .catch((error: unknown) => {
        throw new Error(
          `${this.name} health probe GET ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`${this.name} health probe GET ${url} answered ${response.status}`);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    return Promise.resolve();
  }

  /** Refuses, before anything is sent, a wire message this destination must not receive. */
  private checkWire(wire: WireMessage): string {
    const problems = [
      ...(wire.kind === 'soap'
        ? []
        : [{ path: 'mapping.kind', rule: `must be soap for a SOAP destination, not ${wire.kind}` }]),
      ...(OPERATION.test(wire.target)
        ? []
        : [{ path: 'mapping.target', rule: `must be a SOAP operation name, not "${wire.target}"` }]),
      // The WSDL version is pinned per destination: a mapping cannot move a bank's core to another contract.
      ...(wire.wireVersion === this.config.wsdlVersion
        ? []
        : [
            {
              path: 'mapping.wireVersion',
              rule: `must be the WSDL version ${this.name} is pinned to (${this.config.wsdlVersion}), not ${wire.wireVersion}`,
            },
          ]),
    ];
    if (problems.length > 0) throw new ValidationError(problems, { sent: false });
    return wire.target;
  }

  private classifyFault(exchange: Extract<Exchange, { kind: 'fault' }>): Error & { message: string } {
    const fault = soapFaultOf(exchange.error);
    if (fault !== undefined) return classifySoapFault(fault, effectiveFaultMap(this.config), this.name);
    if (exchange.status !== undefined) return classifySoapHttpStatus(exchange.status, this.name);
    const what = exchange.error instanceof Error ? exchange.error.message : String(exchange.error);
    return new AmbiguousOutcomeError(`${this.name} answered something that is not a SOAP response (${what})`);
  }

  private basicAuthHeader(): Record<string, string> {
    const { auth } = this.config;
    return auth.type === 'basic'
      ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
      : {};
  }

  private loadWsdl(): Promise<WSDL> {
    this.wsdl ??= createClientAsync(this.config.wsdlUrl ?? this.config.wsdlPath ?? '', {
      // node-soap caches WSDLs by URL alone, options included: a 1.1 destination would leak its envelope into a 1.2 one.
      disableCache: true,
      forceSoap12Headers: this.config.soapVersion === '1.2',
      wsdl_options: { timeout: this.config.timeouts.requestMs, proxy: false },
      wsdl_headers: this.basicAuthHeader(),
    }).then(
      (client) => client.wsdl,
      (error: unknown) => {
        // Not cached: the next call tries again.
        this.wsdl = undefined;
        throw error;
      },
    );
    return this.wsdl;
  }

  private security(auth: SoapDestinationAuth): BasicAuthSecurity | WSSecurity | undefined {
    switch (auth.type) {
      case 'none':
        return undefined;
      case 'basic':
        return new BasicAuthSecurity(auth.username, auth.password);
      case 'wsse':
        return new WSSecurity(auth.username, auth.password, { passwordType: auth.passwordType });
      default:
        return assertUnreachable(auth, 'SOAP auth type');
    }
  }

  /** One SOAP exchange, timed from dispatch, never throwing: an answer, a fault, or how it broke off. */
  private async call(
    operation: string,
    args: unknown,
    context: { ClientCorrelationId: string; IdempotencyKey?: string },
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
    if (this.closed)
      return {
        kind: 'failure',
        failure: { code: undefined, message: `${this.name} is closed`, connected: false },
      };
    if (signal?.aborted)
      return {
        kind: 'failure',
        failure: { code: 'ABORT_ERR', message: 'aborted before sending', connected: false },
      };
    let wsdl: WSDL;
    try {
      wsdl = await this.loadWsdl();
    } catch (error) {
      return {
        kind: 'failure',
        failure: {
          code: 'WSDL_UNAVAILABLE',
          message: `WSDL not loaded: ${error instanceof Error ? error.message : String(error)}`,
          connected: false,
        },
      };
    }
    const client = new Client(wsdl, this.config.endpoint);
    const security = this.security(this.config.auth);
    if (security) client.setSecurity(security);
    const element = (name: 'ClientCorrelationId' | 'IdempotencyKey'): string => {
      const value = context[name];
      return value === undefined ? '' : `<cb:${name}>${escapeXml(value)}</cb:${name}>`;
    };
    client.addSoapHeader(
      `<cb:RequestContext xmlns:cb="${SOAP_CONTEXT_NAMESPACE}">${element('ClientCorrelationId')}${element('IdempotencyKey')}</cb:RequestContext>`,
    );
    const method: unknown = (client as unknown as Record<string, unknown>)[operation];
    if (typeof method !== 'function') {
      throw new ValidationError(
        [{ path: 'mapping.target', rule: `must be an operation of ${this.name}'s WSDL, not "${operation}"` }],
        { sent: false },
      );
    }

    // The HTTP POST carries the trace context of the worker's CLIENT span around the call (`withClientSpan`).
    const traced = startHttpClientCall({
      method: 'POST',
      url: this.config.endpoint ?? this.config.wsdlUrl ?? '',
    });
    let answeredStatus: number | undefined;
    client.on('response', (_body: unknown, response: unknown) => {
      const status = field(response, 'status');
      if (typeof status === 'number') answeredStatus = status;
    });
    // Whether a byte can have left decides TRANSIENT (unsent) against AMBIGUOUS: watched on this request's socket.
    const call = new WatchedCall({ secure: this.secure, ...this.config.timeouts }, signal);
    try {
      return await new Promise<Exchange>((resolve) => {
        (method as SoapMethod).call(
          client,
          args,
          (err, result, _raw, header) => {
            if (!err) {
              traced.answered(answeredStatus);
              return resolve({ kind: 'result', result, header });
            }
            const status = field(field(err, 'response'), 'status');
            if (!call.stopped && (soapFaultOf(err) !== undefined || typeof status === 'number')) {
              traced.answered(typeof status === 'number' ? status : answeredStatus);
              return resolve({
                kind: 'fault',
                error: err,
                status: typeof status === 'number' ? status : undefined,
              });
            }
            const failure = call.failureOf(err);
            traced.failed(failure);
            resolve({ kind: 'failure', failure });
          },
          {
            signal: call.signal,
            transport: call.transport,
            proxy: false,
            maxRedirects: 0,
            // Bounded before it is parsed: a longer answer is cut off, an unknown outcome resolved by query.
            maxContentLength: this.config.maxAnswerBytes,
            ...(this.secure ? { httpsAgent: this.agent } : { httpAgent: this.agent }),
          },
          traced.headers,
        );
      });
    } finally {
      call.dispose();
    }
  }
}
