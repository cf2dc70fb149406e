import {
  AmbiguousOutcomeError,
  CircuitOpenError,
  ConflictError,
  RateLimitedError,
  TransientError,
  ValidationError,
} from '@closeout/writeback-domain';
import {
  DestinationBreaker,
  type BreakerLogger,
  type BreakerStateChange,
  type DestinationBreakerOptions,
} from './destination-breaker';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const DESTINATION = 'core-banking-rest';

const unavailable = (): TransientError =>
  new TransientError('503 Service Unavailable', { sent: true, providerCode: '503' });

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('DestinationBreaker', () => {
  let breaker: DestinationBreaker;
  let changes: BreakerStateChange[];
  let probe: jest.Mock<Promise<void>, [AbortSignal]>;
  const silentLogger: BreakerLogger = { error: jest.fn() };

  function createBreaker(options: Partial<DestinationBreakerOptions> = {}): DestinationBreaker {
    breaker = new DestinationBreaker({
      destination: DESTINATION,
      probe,
      onStateChange: (change) => changes.push(change),
      logger: silentLogger,
      ...options,
    });
    return breaker;
  }

  async function fail(times: number, error: unknown = unavailable()): Promise<void> {
    for (let i = 0; i < times; i++) {
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
    }
  }

  async function succeed(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      await expect(breaker.execute(() => Promise.resolve('ok'))).resolves.toBe('ok');
    }
  }

  async function refusal(): Promise<CircuitOpenError> {
    const call = jest.fn(() => Promise.resolve('sent'));
    const error: unknown = await breaker.execute(call).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(call).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    return error as CircuitOpenError;
  }

  async function openBreaker(): Promise<void> {
    await fail(10);
    expect(breaker.state).toBe('open');
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    changes = [];
    probe = jest.fn<Promise<void>, [AbortSignal]>(() => Promise.resolve());
  });

  afterEach(() => {
    breaker.shutdown();
    jest.useRealTimers();
  });

  it('opens when more than half of the calls in the window fail with TRANSIENT, then refuses writes without sending them', async () => {
    createBreaker();
    await succeed(3);
    await fail(6);
    expect(breaker.state).toBe('closed'); // 6 of 9: below the volume threshold of 10 calls

    await fail(1);

    expect(breaker.state).toBe('open');
    expect(changes).toEqual([
      {
        destination: DESTINATION,
        from: 'closed',
        to: 'open',
        at: T0,
        reason: '7 of 10 calls failed in 10 s (last: TRANSIENT 503 Service Unavailable)',
      },
    ]);
    expect(breaker.nextProbeAt).toBe(T0 + 5_000);
    expect((await refusal()).retryAfterMs).toBe(5_000);

    await jest.advanceTimersByTimeAsync(2_000);

    const later = await refusal();
    expect(later.retryAfterMs).toBe(3_000);
    expect(later.destination).toBe(DESTINATION);
    expect(later.sent).toBe(false);
  });

  it('does not open while failures are at or under errorThresholdPercentage', async () => {
    createBreaker();
    await succeed(5);
    await fail(5);

    expect(breaker.state).toBe('closed');
  });

  it('counts AMBIGUOUS outcomes and unclassified errors as signs the destination is unwell', async () => {
    createBreaker();
    await fail(5, new AmbiguousOutcomeError('socket hang up after the request was written'));
    await fail(5, new Error('ECONNRESET'));

    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('10 of 10 calls failed in 10 s (last: Error: ECONNRESET)');
  });

  it.each([
    [
      'VALIDATION',
      new ValidationError([{ path: 'wire.amount', rule: 'must be ≥ 1' }], {
        sent: true,
        providerCode: '400',
      }),
    ],
    ['CONFLICT', new ConflictError('422 idempotency_key_reused')],
    ['RATE_LIMITED', new RateLimitedError('429 Too Many Requests', { retryAfterMs: 2_000 })],
  ])(
    'never opens on %s answers (the destination is up) and rethrows them unchanged',
    async (_class, error) => {
      createBreaker();

      await fail(50, error);

      expect(breaker.state).toBe('closed');
      expect(changes).toEqual([]);
    },
  );

  it('stays closed below volumeThreshold even when every call fails', async () => {
    createBreaker({ volumeThreshold: 10 });

    await fail(9);
    expect(breaker.state).toBe('closed');

    await fail(1);
    expect(breaker.state).toBe('open');
  });

  it('forgets failures older than rollingWindowMs', async () => {
    createBreaker({ rollingWindowMs: 10_000 });
    await fail(9);

    await jest.advanceTimersByTimeAsync(10_000);
    await fail(1);

    expect(breaker.state).toBe('closed');
  });

  it('never times a call out itself: the adapter owns timeouts', async () => {
    createBreaker();
    const slow = breaker.execute(
      () => new Promise<string>((resolve) => setTimeout(() => resolve('applied'), 60_000)),
    );

    await jest.advanceTimersByTimeAsync(60_000);

    await expect(slow).resolves.toBe('applied');
    expect(breaker.state).toBe('closed');
  });

  it('runs exactly one probe after probeIntervalMs; success closes it, resolves whenClosed() and lets calls through', async () => {
    createBreaker({ probeIntervalMs: 5_000 });
    await openBreaker();
    let closed = false;
    // Settled either way, so that a failure here is reported as this test's, not as an unhandled rejection at shutdown.
    const waiting = breaker.whenClosed().then(
      () => {
        closed = true;
      },
      () => undefined,
    );

    await jest.advanceTimersByTimeAsync(4_999);
    expect(probe).not.toHaveBeenCalled();
    expect(closed).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    await waiting;

    expect(probe).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('closed');
    expect(breaker.nextProbeAt).toBeUndefined();
    expect(closed).toBe(true);
    await expect(breaker.whenClosed()).resolves.toBeUndefined();
    const call = jest.fn(() => Promise.resolve({ providerRef: 'TX-1' }));
    await expect(breaker.execute(call)).resolves.toEqual({ providerRef: 'TX-1' });
    expect(call).toHaveBeenCalledTimes(1);

    await jest.advanceTimersByTimeAsync(30_000);
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('refuses writes while the probe is in flight and does not probe again meanwhile', async () => {
    createBreaker();
    await openBreaker();
    const health = deferred<void>();
    probe.mockReturnValueOnce(health.promise);

    await jest.advanceTimersByTimeAsync(5_000);

    expect(breaker.state).toBe('half_open');
    expect((await refusal()).retryAfterMs).toBe(5_000);

    await jest.advanceTimersByTimeAsync(20_000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('half_open');

    health.resolve();
    await breaker.whenClosed();
    expect(breaker.state).toBe('closed');
  });

  it('stays open when the probe fails and probes again one interval later', async () => {
    createBreaker({ probeIntervalMs: 5_000 });
    await openBreaker();
    probe.mockRejectedValueOnce(unavailable());

    await jest.advanceTimersByTimeAsync(5_000);

    expect(probe).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('open');
    expect(breaker.nextProbeAt).toBe(T0 + 10_000);
    expect((await refusal()).retryAfterMs).toBe(5_000);

    await jest.advanceTimersByTimeAsync(4_999);
    expect(probe).toHaveBeenCalledTimes(1);

    await jest.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(breaker.state).toBe('closed');
  });

  it('treats a probe answered with a 4xx as a failed probe, not as proof of health', async () => {
    createBreaker();
    await openBreaker();
    probe.mockRejectedValueOnce(
      new ValidationError([{ path: 'GET /health', rule: 'not found' }], { providerCode: '404' }),
    );

    await jest.advanceTimersByTimeAsync(5_000);

    expect(breaker.state).toBe('open');
    expect(changes.at(-1)?.reason).toBe('probe failed: VALIDATION 404 GET /health: not found');
  });

  it('reports every state change once, in order, with its time and reason', async () => {
    createBreaker();
    await openBreaker();
    probe.mockRejectedValueOnce(new Error('connect ECONNREFUSED 10.0.0.7:443'));
    await jest.advanceTimersByTimeAsync(5_000);
    await jest.advanceTimersByTimeAsync(5_000);

    expect(changes.map(({ from, to, at, reason }) => ({ from, to, at, reason }))).toEqual([
      {
        from: 'closed',
        to: 'open',
        at: T0,
        reason: '10 of 10 calls failed in 10 s (last: TRANSIENT 503 Service Unavailable)',
      },
      { from: 'open', to: 'half_open', at: T0 + 5_000, reason: 'open for 5 s: probing health' },
      {
        from: 'half_open',
        to: 'open',
        at: T0 + 5_000,
        reason: 'probe failed: Error: connect ECONNREFUSED 10.0.0.7:443',
      },
      { from: 'open', to: 'half_open', at: T0 + 10_000, reason: 'open for 5 s: probing health' },
      { from: 'half_open', to: 'closed', at: T0 + 10_000, reason: 'probe succeeded' },
    ]);
    expect(changes.every((change) => change.destination === DESTINATION)).toBe(true);
  });

  it('starts a closed breaker afresh: the failures that opened it no longer count', async () => {
    createBreaker();
    await openBreaker();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(breaker.state).toBe('closed');

    await fail(9);

    expect(breaker.state).toBe('closed');
  });

  it('names a write sent before the breaker opened when its late answer decides the half-open state', async () => {
    createBreaker();
    const slowWrite = deferred<string>();
    const inFlight = breaker.execute(() => slowWrite.promise);
    await fail(9); // 9 of 10 calls failed, the slow one still in flight
    expect(breaker.state).toBe('open');
    probe.mockReturnValueOnce(new Promise<void>(() => undefined));
    await jest.advanceTimersByTimeAsync(5_000);

    slowWrite.resolve('applied');

    await expect(inFlight).resolves.toBe('applied');
    expect(breaker.state).toBe('closed');
    expect(changes.at(-1)?.reason).toBe(
      'a call sent before the breaker opened succeeded while the probe was in flight',
    );
  });

  it('keeps working when an onStateChange listener throws, and logs it', async () => {
    const logger: BreakerLogger = { error: jest.fn() };
    createBreaker({
      logger,
      onStateChange: () => {
        throw new Error('metrics exporter down');
      },
    });

    await fail(10);

    expect(breaker.state).toBe('open');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ destination: DESTINATION, from: 'closed', to: 'open' }),
      expect.stringContaining('onStateChange'),
    );
  });

  it('shutdown clears every timer, aborts the probe in flight and refuses further work', async () => {
    createBreaker();
    await openBreaker();
    const waiting = breaker.whenClosed().catch((error: unknown) => error);
    probe.mockReturnValueOnce(new Promise<void>(() => undefined));
    await jest.advanceTimersByTimeAsync(5_000);
    const signal = probe.mock.calls[0]?.[0];
    expect(signal?.aborted).toBe(false);

    breaker.shutdown();

    expect(jest.getTimerCount()).toBe(0);
    expect(signal?.aborted).toBe(true);
    expect(await waiting).toBeInstanceOf(CircuitOpenError);
    await expect(breaker.whenClosed()).rejects.toBeInstanceOf(CircuitOpenError);
    expect((await refusal()).retryAfterMs).toBeUndefined();
    expect(breaker.nextProbeAt).toBeUndefined();
  });

  it('shutdown of a closed breaker leaves no timer behind', () => {
    createBreaker();
    expect(jest.getTimerCount()).toBeGreaterThan(0);

    breaker.shutdown();

    expect(jest.getTimerCount()).toBe(0);
  });

  it.each([
    [{ volumeThreshold: 2.5 }, 'volumeThreshold must be an integer ≥ 0, got 2.5'],
    [{ probeIntervalMs: 0 }, 'probeIntervalMs must be an integer ≥ 1, got 0'],
    [{ rollingWindowMs: 5 }, 'rollingWindowMs must be an integer ≥ 10, got 5'],
    [{ errorThresholdPercentage: 100 }, 'errorThresholdPercentage must be ≥ 0 and < 100, got 100'],
  ])('rejects the option %j with a message naming it', (options, message) => {
    expect(() => new DestinationBreaker({ destination: DESTINATION, probe, ...options })).toThrow(message);
    createBreaker(); // afterEach shuts one down
  });
});
