/**
 * TEST DOUBLE — the simulated SOAP core banking system. It stands in for a bank's legacy system of record in tests
 * and demos so Closeout's SOAP writeback path can be driven through every failure a real core produces. Not
 * production code.
 *
 * Behaves like a vendor core behind a WSDL (CoreBankingService-2019.2, document/literal, SOAP 1.1 and 1.2 ports):
 * a RequestContext header with ClientCorrelationId and IdempotencyKey, echoed as ResponseContext; deduplication by
 * IdempotencyKey (CB-4090 on a different body); VendorError faults; an append-only posting journal that
 * QueryTransaction reads; and fault injection for everything between "posted" and "not posted".
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listen, type IServices, type ISoapServiceMethod } from 'soap';
import {
  canonicalJson,
  faultControls,
  handleSimAdmin,
  PendingTimers,
  readBody,
  sendGatewayPage,
  sendJson,
  startSimulatorServer,
  type SimulatedCoreControls,
} from '@closeout/simulators/shared';
import { FaultBook, faultRuleSchema, type FaultRule, type RequestFault } from './faults';
import { PostingJournal, type JournalEntry, type SoapVersion } from './journal';
import { StatsRecorder, type CallOutcome, type SoapCoreStats } from './stats';
import {
  accountOf,
  CORE_BANKING_NAMESPACE,
  CORE_BANKING_SERVICE,
  SOAP11_PORT,
  SOAP12_PORT,
  validateWrite,
  VENDOR_CODES,
  REPORT_OPERATIONS,
  WRITE_OPERATIONS,
  type ReportOperation,
  type VendorCode,
  type WriteOperation,
} from './wire-schemas';

export interface SoapCoreOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Mirror the journal to this JSONL file; an existing file is loaded, so postings survive a restart. */
  journalFile?: string;
  /** Faults active from the start (same shape as `POST /_sim/faults`). */
  faults?: FaultRule[];
  /** Default answer delay of `slow_commit`. */
  slowCommitMs?: number;
  /** Default `RetryAfterSeconds` of `throttled`. */
  retryAfterSeconds?: number;
  /** Accounts the core treats as closed: writes on them fault CB-1002. */
  closedAccounts?: readonly string[];
  /** Random source for rate-based faults (seed it for reproducible runs). */
  random?: () => number;
  now?: () => number;
  /** One line per call, e.g. to stdout from the CLI. */
  log?: (line: string) => void;
}

export interface SoapCore extends SimulatedCoreControls<JournalEntry, SoapCoreStats, FaultRule> {
  /** The SOAP 1.1 endpoint (the WSDL's CoreBankingSoap11Port address). */
  url: string;
  /** The SOAP 1.2 endpoint (the WSDL's CoreBankingSoap12Port address). */
  soap12Url: string;
  /** `${url}?wsdl`. */
  wsdlUrl: string;
  /** Where `/health` and `/_sim/*` live. */
  baseUrl: string;
  port: number;
}

export const SOAP11_PATH = '/CoreBankingService';
export const SOAP12_PATH = '/CoreBankingService12';
/** ListTransactions' MaxResults when absent, and its ceiling. */
export const LIST_DEFAULT_MAX_RESULTS = 1_000;
export const LIST_MAX_RESULTS = 10_000;
export const DEFAULT_CLOSED_ACCOUNTS: readonly string[] = ['4000999999'];

const WSDL_TEMPLATE = readFileSync(join(__dirname, 'core-banking.wsdl'), 'utf8');

const ENVELOPE_NS: Record<SoapVersion, string> = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};
const CONTENT_TYPE: Record<SoapVersion, string> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
};

/** Codes the caller caused (SOAP 1.1 `Client`, 1.2 `Sender`); the rest are the core's (`Server`/`Receiver`). */
const SENDER_CODES: ReadonlySet<VendorCode> = new Set([
  VENDOR_CODES.invalidRequest,
  VENDOR_CODES.accountClosed,
  VENDOR_CODES.idempotencyConflict,
]);

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** node-soap turns xsd:date into a Date; the journal and the rules want the wire text (YYYY-MM-DD) back. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'attributes')
        .map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function textField(value: unknown, name: string): string | null {
  const v = field(value, name);
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/** The posted amount, where the write carries one (PostPayment's `Amount`), for the posting report. */
function amountOf(body: unknown): { MinorUnits?: number; CurrencyCode?: string } {
  const amount = field(body, 'Amount');
  const minor = Number(field(amount, 'MinorUnits'));
  const currency = field(amount, 'CurrencyCode');
  return Number.isSafeInteger(minor) && typeof currency === 'string'
    ? { MinorUnits: minor, CurrencyCode: currency }
    : {};
}

function responseContextXml(clientCorrelationId: string | null): string {
  if (clientCorrelationId === null) return '';
  return (
    `<cb:ResponseContext xmlns:cb="${CORE_BANKING_NAMESPACE}">` +
    `<cb:ClientCorrelationId>${escapeXml(clientCorrelationId)}</cb:ClientCorrelationId></cb:ResponseContext>`
  );
}

interface VendorFault {
  code: VendorCode;
  message: string;
  retryAfterSeconds?: number;
}

/**
 * The fault envelope, written by hand: node-soap's own fault path drops SOAP headers, and this contract puts
 * ResponseContext on every response, faults included.
 */
function faultEnvelope(version: SoapVersion, fault: VendorFault, clientCorrelationId: string | null): string {
  const sender = SENDER_CODES.has(fault.code);
  const detail =
    `<cb:VendorError xmlns:cb="${CORE_BANKING_NAMESPACE}"><cb:Code>${fault.code}</cb:Code>` +
    `<cb:Message>${escapeXml(fault.message)}</cb:Message>` +
    (fault.retryAfterSeconds === undefined
      ? ''
      : `<cb:RetryAfterSeconds>${fault.retryAfterSeconds}</cb:RetryAfterSeconds>`) +
    '</cb:VendorError>';
  const reason = escapeXml(`${fault.code}: ${fault.message}`);
  const body =
    version === '1.1'
      ? `<soap:Fault><faultcode>soap:${sender ? 'Client' : 'Server'}</faultcode><faultstring>${reason}</faultstring>` +
        `<detail>${detail}</detail></soap:Fault>`
      : `<soap:Fault><soap:Code><soap:Value>soap:${sender ? 'Sender' : 'Receiver'}</soap:Value></soap:Code>` +
        `<soap:Reason><soap:Text xml:lang="en">${reason}</soap:Text></soap:Reason>` +
        `<soap:Detail>${detail}</soap:Detail></soap:Fault>`;
  const header = responseContextXml(clientCorrelationId);
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENVELOPE_NS[version]}">` +
    (header === '' ? '' : `<soap:Header>${header}</soap:Header>`) +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** SOAP 1.2's HTTP binding answers Sender faults with 400; SOAP 1.1 answers every fault with 500. */
function faultStatus(version: SoapVersion, code: VendorCode): number {
  return version === '1.2' && SENDER_CODES.has(code) ? 400 : 500;
}

type WriteAnswer = { TransactionRef: string; Status: 'POSTED' | 'REJECTED' };
type Commit =
  { kind: 'posted' | 'replayed'; entry: JournalEntry } | { kind: 'conflict'; original: JournalEntry };

export async function startSoapCore(options: SoapCoreOptions = {}): Promise<SoapCore> {
  const now = options.now ?? Date.now;
  const slowCommitMs = options.slowCommitMs ?? 2_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const closedAccounts = new Set(options.closedAccounts ?? DEFAULT_CLOSED_ACCOUNTS);
  const log = options.log ?? (() => undefined);

  const journal = new PostingJournal(options.journalFile);
  const stats = new StatsRecorder();
  const faults = new FaultBook(options.random ?? Math.random);
  faults.add(...(options.faults ?? []));

  /** The first posting of each idempotency key: what a replay answers with. */
  const originals = new Map<string, JournalEntry>();
  for (const entry of journal.all()) {
    stats.posted(entry.idempotencyKey);
    if (entry.idempotencyKey !== null && !originals.has(entry.idempotencyKey)) {
      originals.set(entry.idempotencyKey, entry);
    }
  }

  const timers = new PendingTimers();
  const later = (ms: number, fn: () => void): void => timers.later(ms, fn);

  interface Call {
    version: SoapVersion;
    operation: WriteOperation | ReportOperation;
    body: unknown;
    clientCorrelationId: string | null;
    idempotencyKey: string | null;
    traceparent: string | undefined;
    receivedAt: number;
    req: IncomingMessage;
    res: ServerResponse;
    answer: (result: unknown) => void;
  }

  function finish(call: Call, outcome: CallOutcome, result: unknown): void {
    stats.outcome(outcome);
    log(`${call.operation} v${call.version} key=${call.idempotencyKey ?? '-'} → ${outcome}`);
    call.answer(result);
  }

  function fail(call: Call, outcome: CallOutcome, fault: VendorFault): void {
    stats.outcome(outcome);
    log(`${call.operation} v${call.version} key=${call.idempotencyKey ?? '-'} → ${outcome} ${fault.code}`);
    const { res } = call;
    if (res.destroyed || res.headersSent) return;
    const xml = faultEnvelope(call.version, fault, call.clientCorrelationId);
    res.writeHead(faultStatus(call.version, fault.code), {
      'Content-Type': CONTENT_TYPE[call.version],
      'Content-Length': Buffer.byteLength(xml).toString(),
    });
    res.end(xml);
  }

  /** Posts once, or answers from the key's original posting; never posts a different body under a used key. */
  function commit(call: Call, operation: WriteOperation, internalRetry: boolean, ignoreKey = false): Commit {
    const requestHash = createHash('sha256')
      .update(`${operation}\n${canonicalJson(call.body)}`)
      .digest('hex');
    const original =
      call.idempotencyKey === null || ignoreKey ? undefined : originals.get(call.idempotencyKey);
    if (original) {
      return original.requestHash === requestHash && original.operation === operation
        ? { kind: 'replayed', entry: original }
        : { kind: 'conflict', original };
    }
    const sequence = journal.nextSequence;
    const entry = journal.append({
      sequence,
      transactionRef: `CB${String(sequence).padStart(10, '0')}`,
      operation,
      idempotencyKey: call.idempotencyKey,
      clientCorrelationId: call.clientCorrelationId ?? '',
      soapVersion: call.version,
      internalRetry,
      body: JSON.parse(canonicalJson(call.body)) as unknown,
      requestHash,
      ...(call.traceparent === undefined ? {} : { traceparent: call.traceparent }),
      receivedAt: new Date(call.receivedAt).toISOString(),
      committedAt: new Date(now()).toISOString(),
    });
    if (call.idempotencyKey !== null) originals.set(call.idempotencyKey, entry);
    stats.posted(call.idempotencyKey);
    return { kind: 'posted', entry };
  }

  function handleQuery(call: Call): void {
    const ref = textField(call.body, 'TransactionRef');
    const correlationId = textField(call.body, 'ClientCorrelationId');
    if (ref === null && correlationId === null) {
      return fail(call, 'invalid_request', {
        code: VENDOR_CODES.invalidRequest,
        message: 'ClientCorrelationId or TransactionRef: give at least one',
      });
    }
    // A lagging replica answers queries: postings younger than the lag are not there yet.
    const lagMs = faults.replicaLagMs();
    const visible = (e: JournalEntry | undefined): JournalEntry | undefined =>
      e !== undefined && (lagMs === 0 || Date.parse(e.committedAt) <= now() - lagMs) ? e : undefined;
    const entry = visible(
      ref !== null ? journal.byTransactionRef(ref) : journal.byClientCorrelationId(correlationId ?? '')[0],
    );
    // Both given must describe the same posting: a ref of another client's posting is not this client's answer.
    const found =
      entry !== undefined && (correlationId === null || entry.clientCorrelationId === correlationId);
    if (!found) return finish(call, 'query_not_found', { Found: false });
    return finish(call, 'query_found', {
      Found: true,
      TransactionRef: entry.transactionRef,
      Operation: entry.operation,
      Status: 'POSTED',
    });
  }

  /**
   * The core's posting report: every posting committed within [PostedFrom, PostedTo), oldest first, at most
   * MaxResults of them (`Truncated` says more were left out). What a reconciler extracts to match against.
   */
  function handleList(call: Call, args: unknown): void {
    const instant = (name: string): number | string => {
      const v = field(args, name);
      const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
      return Number.isNaN(ms) ? `${name}: must be an xsd:dateTime` : ms;
    };
    const from = instant('PostedFrom');
    const to = instant('PostedTo');
    const rawMax = field(args, 'MaxResults');
    const max =
      rawMax === undefined || rawMax === null || rawMax === '' ? LIST_DEFAULT_MAX_RESULTS : Number(rawMax);
    const problems = [
      ...(typeof from === 'string' ? [from] : []),
      ...(typeof to === 'string' ? [to] : []),
      ...(Number.isSafeInteger(max) && max >= 1 && max <= LIST_MAX_RESULTS
        ? []
        : [`MaxResults: must be an integer from 1 to ${LIST_MAX_RESULTS}`]),
    ];
    if (typeof from === 'number' && typeof to === 'number' && from > to)
      problems.push('PostedTo: must not be before PostedFrom');
    if (problems.length > 0 || typeof from !== 'number' || typeof to !== 'number') {
      return fail(call, 'invalid_request', {
        code: VENDOR_CODES.invalidRequest,
        message: problems.join('; '),
      });
    }
    const inWindow = journal.all().filter((e) => {
      const at = Date.parse(e.committedAt);
      return at >= from && at < to;
    });
    return finish(call, 'list_answered', {
      Transaction: inWindow.slice(0, max).map((e) => ({
        TransactionRef: e.transactionRef,
        ...(e.idempotencyKey === null ? {} : { IdempotencyKey: e.idempotencyKey }),
        Operation: e.operation,
        ...amountOf(e.body),
        PostedAt: e.committedAt,
      })),
      Truncated: inWindow.length > max,
    });
  }

  function handleWrite(call: Call, operation: WriteOperation): void {
    stats.writeArrived(call.idempotencyKey, call.receivedAt);
    const fault: RequestFault | undefined = faults.pick({
      operation,
      idempotencyKey: call.idempotencyKey,
    });
    switch (fault?.mode) {
      case 'vendor_invalid':
        stats.fault('vendor_invalid');
        stats.rejectedAsInvalid(call.idempotencyKey);
        return fail(call, 'invalid_request', {
          code: VENDOR_CODES.invalidRequest,
          message: `${operation}: rejected by simulated fault vendor_invalid`,
        });
      case 'vendor_transient':
        stats.fault('vendor_transient');
        return fail(call, 'host_unavailable', {
          code: VENDOR_CODES.hostUnavailable,
          message: 'host unavailable: nothing was posted',
        });
      case 'throttled': {
        stats.fault('throttled');
        const seconds = fault.retryAfterSeconds ?? retryAfterSeconds;
        stats.toldToWait(call.idempotencyKey, call.receivedAt + seconds * 1000);
        return fail(call, 'throttled', {
          code: VENDOR_CODES.throttled,
          message: `throttled: retry after ${seconds} s`,
          retryAfterSeconds: seconds,
        });
      }
      case 'reject_status':
        stats.fault('reject_status');
        // A refusal like a CB-1001: a client that sends it again has retried a validation failure.
        stats.rejectedAsInvalid(call.idempotencyKey);
        return finish(call, 'rejected_in_result', { TransactionRef: '', Status: 'REJECTED' });
      case 'vendor_ambiguous':
      case 'slow_commit':
      case 'commit_then_timeout':
      case 'server_retry':
      case 'foreign_ref':
      case 'gateway_page':
      case undefined:
        // These shape what happens at and after the commit, below.
        break;
    }

    const problems = validateWrite(operation, call.body);
    if (problems.length > 0) {
      stats.rejectedAsInvalid(call.idempotencyKey);
      return fail(call, 'invalid_request', {
        code: VENDOR_CODES.invalidRequest,
        message: problems.map((p) => `${p.field}: ${p.rule}`).join('; '),
      });
    }
    const account = accountOf(call.body);
    if (account !== undefined && closedAccounts.has(account)) {
      stats.rejectedAsInvalid(call.idempotencyKey);
      return fail(call, 'account_closed', {
        code: VENDOR_CODES.accountClosed,
        message: `AccountNumber: account ${account} is closed`,
      });
    }

    const ignoreKey =
      call.idempotencyKey !== null &&
      faults.ignoresIdempotencyKey({ operation, idempotencyKey: call.idempotencyKey });
    if (ignoreKey) stats.fault('ignore_idempotency_key');
    let result = commit(call, operation, false, ignoreKey);
    if (fault?.mode === 'server_retry') {
      // The middleware's second run: a fresh execution, deduplicated only by the IdempotencyKey header.
      stats.fault('server_retry');
      result = commit(call, operation, true);
    }
    if (result.kind === 'conflict') {
      return fail(call, 'idempotency_conflict', {
        code: VENDOR_CODES.idempotencyConflict,
        message: `IdempotencyKey "${call.idempotencyKey}" was already used with a different request (transaction ${result.original.transactionRef})`,
      });
    }
    const answer: WriteAnswer = { TransactionRef: result.entry.transactionRef, Status: 'POSTED' };
    const outcome: CallOutcome = result.kind;
    switch (fault?.mode) {
      case 'vendor_ambiguous':
        stats.fault('vendor_ambiguous');
        return fail(call, 'posted_unanswered', {
          code: VENDOR_CODES.statusUnknown,
          message: 'transaction status unknown: it may have been posted',
        });
      case 'slow_commit':
        stats.fault('slow_commit');
        later(fault.delayMs ?? slowCommitMs, () => finish(call, 'posted_unanswered', answer));
        return;
      case 'commit_then_timeout': {
        stats.fault('commit_then_timeout');
        stats.outcome('posted_unanswered');
        log(
          `${operation} v${call.version} key=${call.idempotencyKey ?? '-'} → committed, dropping the connection`,
        );
        const drop = (): void => void call.req.socket.destroy();
        if ((fault.delayMs ?? 0) === 0) drop();
        else later(fault.delayMs ?? 0, drop);
        return;
      }
      case 'foreign_ref': {
        // This call's correlation id in the header, another posting's reference in the body.
        const other = journal.all().findLast((e) => e.sequence !== result.entry.sequence);
        stats.fault('foreign_ref');
        return finish(call, outcome, other ? { ...answer, TransactionRef: other.transactionRef } : answer);
      }
      case 'gateway_page': {
        stats.fault('gateway_page');
        stats.outcome('posted_unanswered');
        sendGatewayPage(call.res);
        return;
      }
      case 'server_retry':
      case undefined:
        return finish(call, outcome, answer);
    }
  }

  function traceparentOf(req: unknown): string | undefined {
    const value = (req as IncomingMessage | undefined)?.headers?.traceparent;
    return typeof value === 'string' ? value : undefined;
  }

  function operationMethod(version: SoapVersion, operation: Call['operation']): ISoapServiceMethod {
    return (
      args: unknown,
      callback?: (data: unknown) => void,
      headers?: unknown,
      req?: unknown,
      res?: unknown,
    ) => {
      const context = field(headers, 'RequestContext');
      const call: Call = {
        version,
        operation,
        body: plain(args ?? {}),
        clientCorrelationId: textField(context, 'ClientCorrelationId'),
        idempotencyKey: textField(context, 'IdempotencyKey'),
        traceparent: traceparentOf(req),
        receivedAt: now(),
        req: req as IncomingMessage,
        res: res as ServerResponse,
        answer: (result) => callback?.(result),
      };
      stats.called();
      if (faults.failAll({ operation, idempotencyKey: call.idempotencyKey })) {
        stats.fault('fail_all');
        return fail(call, 'host_unavailable', {
          code: VENDOR_CODES.hostUnavailable,
          message: 'host unavailable: the core is down',
        });
      }
      if (call.clientCorrelationId === null) {
        return fail(call, 'invalid_request', {
          code: VENDOR_CODES.invalidRequest,
          message: 'RequestContext.ClientCorrelationId: required in the SOAP header',
        });
      }
      switch (operation) {
        case 'QueryTransaction':
          return handleQuery(call);
        case 'ListTransactions':
          // The raw arguments: `plain` would cut the xsd:dateTime window bounds down to dates.
          return handleList(call, args);
        case 'PostPayment':
        case 'CreateArrangement':
        case 'UpdateAddress':
        case 'ClearFlag':
          return handleWrite(call, operation);
      }
    };
  }

  function services(version: SoapVersion): IServices {
    const port = Object.fromEntries(
      [...WRITE_OPERATIONS, ...REPORT_OPERATIONS].map((op) => [op, operationMethod(version, op)]),
    );
    // Both ports carry the same operations; the listener's SOAP version decides the envelope.
    return { [CORE_BANKING_SERVICE]: { [SOAP11_PORT]: port, [SOAP12_PORT]: port } };
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const handled = await handleSimAdmin(
      {
        journal: () => journal.all(),
        stats: () => stats.snapshot(),
        faults,
        parseRule: (candidate) => faultRuleSchema.parse(candidate),
        send: sendJson,
        readText: async (r) => (await readBody(r)).toString('utf8'),
      },
      req,
      res,
      path,
    );
    if (!handled) {
      sendJson(res, 404, { error: 'not_found', message: `no route for ${req.method ?? 'GET'} ${path}` });
    }
  }

  /** Everything that is not a SOAP endpoint: node-soap hands these on to this listener. */
  function handleOther(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://soap-core.local').pathname;
    if (path === '/health' && req.method === 'GET') {
      return faults.failAll(null, false)
        ? sendJson(res, 503, { status: 'unavailable' })
        : sendJson(res, 200, { status: 'ok', postings: journal.all().length });
    }
    handleAdmin(req, res, path).catch((error: unknown) => {
      log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
      sendJson(res, 500, { error: 'simulator_bug', message: String(error) });
    });
  }

  const sim = await startSimulatorServer(handleOther, { port: options.port, host: options.host, timers });
  const { server, port, baseUrl } = sim;
  const url = `${baseUrl}${SOAP11_PATH}`;
  const soap12Url = `${baseUrl}${SOAP12_PATH}`;
  const wsdlXml = WSDL_TEMPLATE.replaceAll('{{SOAP11_ADDRESS}}', url).replaceAll(
    '{{SOAP12_ADDRESS}}',
    soap12Url,
  );

  for (const [version, path] of [
    ['1.1', SOAP11_PATH],
    ['1.2', SOAP12_PATH],
  ] as const) {
    await new Promise<void>((resolve, reject) => {
      const soapServer = listen(server, {
        path,
        services: services(version),
        xml: wsdlXml,
        // node-soap picks the envelope namespace per listener, not per request: one listener per SOAP version.
        forceSoap12Headers: version === '1.2',
        enableChunkedEncoding: false,
        suppressStack: true,
        callback: (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      });
      soapServer.addSoapHeader((_method: string, _args: unknown, headers: unknown) =>
        responseContextXml(textField(field(headers, 'RequestContext'), 'ClientCorrelationId')),
      );
    });
  }

  return {
    url,
    soap12Url,
    wsdlUrl: `${url}?wsdl`,
    baseUrl,
    port,
    journal: () => journal.all(),
    stats: () => stats.snapshot(),
    ...faultControls(faults),
    close: sim.close,
  };
}
