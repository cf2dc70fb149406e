import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { assertUnreachable, CircuitOpenError, isWritebackError } from '@closeout/writeback-domain';
import { createLogger } from '@closeout/telemetry';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStateChange {
  destination: string;
  from: BreakerState;
  to: BreakerState;
  /** Epoch ms, from `now`. */
  at: number;
  reason: string;
}

/** The one logger method the breaker uses; a pino logger fits. */
export interface BreakerLogger {
  error(obj: object, msg: string): void;
}

export interface DestinationBreakerOptions {
  destination: string;
  /**
   * Cheap read proving the destination serves again (e.g. GET /health); throws when it does not. It must apply its
   * own timeout like every adapter call: while it hangs the breaker stays half-open. The signal is aborted by
   * `shutdown()`.
   */
  probe: (signal: AbortSignal) => Promise<void>;
  /** The breaker opens when more than this share of the calls in the window failed. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls in the window before the breaker may open. Default 10. */
  volumeThreshold?: number;
  /** Default 10 000. */
  rollingWindowMs?: number;
  /** How long it stays open before probing. Default 5 000. */
  probeIntervalMs?: number;
  /** Called on every state change (for logs, metrics, degraded announcements). */
  onStateChange?: (change: BreakerStateChange) => void;
  now?: () => number;
  /** Where a throwing `onStateChange` is reported. Default: the telemetry logger. */
  logger?: BreakerLogger;
}

type Runner = () => Promise<unknown>;

interface ClosedWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** opossum's default; the window is emptied by rotating through every bucket. */
const WINDOW_BUCKETS = 10;

/** Wraps whatever the probe threw, so that no probe error can pass the error filter as "the destination answered". */
class ProbeFailure extends Error {
  constructor(cause: unknown) {
    super(`probe failed: ${describeFailure(cause)}`, { cause });
    this.name = 'ProbeFailure';
  }
}

/**
 * One circuit breaker per writeback destination, on opossum. Only failures that say the destination is unwell count
 * towards opening it; once open, writes are refused with `CircuitOpenError` (nothing sent, the row waits in the
 * ledger) until a health probe — never a real write — succeeds.
 *
 * ```ts
 * const breaker = new DestinationBreaker({
 *   destination: destination.name,
 *   probe: (signal) => destination.probe(signal),
 *   onStateChange: (change) => announceDegraded(change),
 * });
 * const receipt = await breaker.execute(() => destination.send(request));
 * ```
 */
export class DestinationBreaker {
  private readonly circuit: CircuitBreaker<[Runner], unknown>;
  // We rotate opossum's statistics window ourselves, so that closing can start it afresh (see onClose).
  private readonly windowRotation = new EventEmitter();
  private readonly rotationTimer: NodeJS.Timeout;
  private readonly name: string;
  private readonly probe: (signal: AbortSignal) => Promise<void>;
  private readonly probeIntervalMs: number;
  private readonly rollingWindowMs: number;
  private readonly onStateChange: ((change: BreakerStateChange) => void) | undefined;
  private readonly now: () => number;
  private readonly logger: BreakerLogger;

  private current: BreakerState = 'closed';
  /** When the current open interval began (for half-open: when the probe was fired). */
  private intervalStartedAt: number | undefined;
  private lastFailure: unknown;
  private probeSucceeded = false;
  private probeAbort: AbortController | undefined;
  private waiters: ClosedWaiter[] = [];
  private isShutdown = false;

  constructor(options: DestinationBreakerOptions) {
    if (options.destination.trim() === '') {
      throw new RangeError('DestinationBreaker destination must be a non-empty name');
    }
    this.name = options.destination;
    const errorThresholdPercentage = options.errorThresholdPercentage ?? 50;
    if (!(errorThresholdPercentage >= 0 && errorThresholdPercentage < 100)) {
      throw new RangeError(
        `DestinationBreaker ${this.name}: errorThresholdPercentage must be ≥ 0 and < 100, got ${errorThresholdPercentage}`,
      );
    }
    // opossum silently treats a non-integer volumeThreshold as 0 (open on the first failure): refuse it instead.
    const volumeThreshold = requireInteger(this.name, 'volumeThreshold', options.volumeThreshold ?? 10, 0);
    this.rollingWindowMs = requireInteger(
      this.name,
      'rollingWindowMs',
      options.rollingWindowMs ?? 10_000,
      WINDOW_BUCKETS,
    );
    this.probeIntervalMs = requireInteger(this.name, 'probeIntervalMs', options.probeIntervalMs ?? 5_000, 1);
    this.probe = options.probe;
    this.onStateChange = options.onStateChange;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger('destination-breaker');

    this.circuit = new CircuitBreaker<[Runner], unknown>((run) => run(), {
      name: this.name,
      // The adapter owns timeouts and classifies them (sent or not); an opossum timeout would reject without
      // cancelling the request and hide whether it reached the destination.
      timeout: false,
      errorThresholdPercentage,
      volumeThreshold,
      rollingCountTimeout: this.rollingWindowMs,
      rollingCountBuckets: WINDOW_BUCKETS,
      resetTimeout: this.probeIntervalMs,
      // opossum records a filtered error as a success: right for answers that prove the destination is up.
      errorFilter: (error: unknown) => !signalsDestinationUnwell(error),
      rotateBucketController: this.windowRotation,
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
    });
    this.rotationTimer = setInterval(
      () => this.windowRotation.emit('rotate'),
      this.rollingWindowMs / WINDOW_BUCKETS,
    );
    this.rotationTimer.unref();

    // opossum emits `failure` before deciding to open, so the reason for opening can name the failure that tipped it.
    this.circuit.on('failure', (error) => {
      this.lastFailure = error;
    });
    this.circuit.on('open', () => this.onOpen());
    this.circuit.on('halfOpen', () => this.onHalfOpen());
    this.circuit.on('close', () => this.onClose());
  }

  get state(): BreakerState {
    return this.current;
  }

  get destination(): string {
    return this.name;
  }

  /**
   * Epoch ms when the open breaker will next probe; undefined when closed or shut down. While half-open (the probe in
   * flight) it is the earliest the next probe could run should this one fail.
   */
  get nextProbeAt(): number | undefined {
    if (this.isShutdown || this.current === 'closed' || this.intervalStartedAt === undefined) {
      return undefined;
    }
    return this.intervalStartedAt + this.probeIntervalMs;
  }

  /**
   * Runs `call` when closed. When open or half-open (or shut down) rejects with `CircuitOpenError`, whose
   * `retryAfterMs` is the time until the next probe, and `call` is not invoked. Whatever `call` throws is rethrown
   * unchanged.
   */
  async execute<T>(call: () => Promise<T>): Promise<T> {
    // Checked here and not left to opossum: half-open, opossum would let this call through as its trial, and the
    // trial must be the probe, never a write.
    if (this.isShutdown || this.current !== 'closed') throw this.refusal();
    // The action only runs what it is given, so fire resolves with call's own value.
    return (await this.circuit.fire(call)) as T;
  }

  /** Resolves when the breaker is closed (immediately if it is); rejects with `CircuitOpenError` on shutdown. */
  whenClosed(): Promise<void> {
    if (this.isShutdown) return Promise.reject(new CircuitOpenError(this.name));
    if (this.current === 'closed') return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops every timer, aborts a probe in flight, refuses further calls and rejects pending `whenClosed()`. */
  shutdown(): void {
    if (this.isShutdown) return;
    this.isShutdown = true;
    clearInterval(this.rotationTimer);
    this.probeAbort?.abort();
    this.probeAbort = undefined;
    this.circuit.shutdown();
    this.releaseWaiters((waiter) => waiter.reject(new CircuitOpenError(this.name)));
  }

  private onOpen(): void {
    const from = this.current;
    const at = this.now();
    this.intervalStartedAt = at;
    this.transition(from === 'half_open' ? this.halfOpenFailureReason() : this.thresholdReason(), 'open', at);
  }

  private onHalfOpen(): void {
    const at = this.now();
    this.intervalStartedAt = at;
    this.probeSucceeded = false;
    this.transition(`open for ${seconds(this.probeIntervalMs)}: probing health`, 'half_open', at);
    // A state-change listener may have shut the breaker down.
    if (this.isShutdown) return;
    const abort = new AbortController();
    this.probeAbort = abort;
    // opossum lets exactly one call through after turning half-open, and this is fired synchronously from its
    // `halfOpen` event, so the probe is that call. Its outcome reaches us through opossum's events.
    void this.circuit.fire(() => this.runProbe(abort.signal)).catch(() => undefined);
  }

  private onClose(): void {
    const at = this.now();
    this.intervalStartedAt = undefined;
    // opossum keeps its window across a close, so the failures that opened the breaker would still count: one more
    // failure right after recovery would open it again. A recovered destination starts with a clean record.
    for (let i = 0; i < WINDOW_BUCKETS; i++) this.windowRotation.emit('rotate');
    const reason = this.probeSucceeded
      ? 'probe succeeded'
      : 'a call sent before the breaker opened succeeded while the probe was in flight';
    this.transition(reason, 'closed', at);
    this.releaseWaiters((waiter) => waiter.resolve());
  }

  private async runProbe(signal: AbortSignal): Promise<void> {
    try {
      await this.probe(signal);
    } catch (error) {
      throw new ProbeFailure(error);
    }
    // Set before opossum sees the success (it reacts a microtask later), so onClose can tell who closed the breaker.
    this.probeSucceeded = true;
  }

  private thresholdReason(): string {
    const { failures, fires } = this.circuit.stats;
    return `${failures} of ${fires} calls failed in ${seconds(this.rollingWindowMs)} (last: ${describeFailure(this.lastFailure)})`;
  }

  private halfOpenFailureReason(): string {
    // opossum decides half-open on whichever call settles first, which can be a write sent before the breaker opened.
    return this.lastFailure instanceof ProbeFailure
      ? this.lastFailure.message
      : `a call sent before the breaker opened failed while the probe was in flight: ${describeFailure(this.lastFailure)}`;
  }

  private transition(reason: string, to: BreakerState, at: number): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    if (this.onStateChange === undefined) return;
    try {
      this.onStateChange({ destination: this.name, from, to, at, reason });
    } catch (error) {
      // This runs inside opossum's bookkeeping: an exception escaping here would make opossum count a success as a
      // failure, or leave the caller's promise unsettled. A broken listener must not change what was written.
      this.logger.error(
        { err: error, destination: this.name, from, to },
        'breaker onStateChange listener threw; breaker state is unaffected',
      );
    }
  }

  private refusal(): CircuitOpenError {
    const next = this.nextProbeAt;
    return new CircuitOpenError(
      this.name,
      next === undefined ? {} : { retryAfterMs: Math.max(0, next - this.now()) },
    );
  }

  private releaseWaiters(release: (waiter: ClosedWaiter) => void): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(release);
  }
}

/** Whether a failed call says the destination is unwell (counts towards opening) rather than that it answered. */
function signalsDestinationUnwell(error: unknown): boolean {
  // Unclassified: nothing proves the destination answered.
  if (!isWritebackError(error)) return true;
  switch (error.errorClass) {
    case 'TRANSIENT':
    case 'AMBIGUOUS':
      return true;
    case 'VALIDATION':
    case 'CONFLICT':
    case 'RATE_LIMITED':
      return false;
    case 'CIRCUIT_OPEN':
      // Nothing was sent, so it tells nothing new about the destination.
      return false;
    default:
      return assertUnreachable(error.errorClass, 'writeback error class');
  }
}

function describeFailure(error: unknown): string {
  if (isWritebackError(error)) {
    // Adapters often put the status in the message too ("503 Service Unavailable"): say it once.
    const code =
      error.providerCode === undefined || error.message.startsWith(error.providerCode)
        ? ''
        : ` ${error.providerCode}`;
    return `${error.errorClass}${code} ${error.message}`;
  }
  if (error instanceof ProbeFailure) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function requireInteger(destination: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `DestinationBreaker ${destination}: ${name} must be an integer ≥ ${min}, got ${value}`,
    );
  }
  return value;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
