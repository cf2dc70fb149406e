/**
 * Stops kafkajs 2.2.4's idle request-queue loop (kafkajs issue #1556, fix proposed in PRs #1667 and #1768, none
 * released: the library's last release is 2.2.4).
 *
 * Every broker connection has a RequestQueue. After its first response, `scheduleCheckPendingRequests` arms a timer
 * for `throttledUntil - Date.now()`; `throttledUntil` is -1 unless the broker throttled us, so the delay is negative
 * (Node runs it after 1 ms and, from Node 24, warns `TimeoutNegativeWarning`), the timer checks an empty queue and
 * arms the next one. Each connection thus wakes its process about 400 times a second for nothing, whether idle or
 * busy: measured here, 1,974 timers and 125 ms of CPU in 5 idle seconds for one producer connection, and a service
 * holds several connections.
 *
 * The replacement schedules a check only when there is something to check: requests waiting (then when the
 * throttle ends, or in CHECK_PENDING_REQUESTS_INTERVAL) or a throttle still to run out. A request that cannot go
 * out at once is queued by `push`, which calls this method with the queue non-empty, and responses call
 * `checkPendingRequests` themselves, so nothing waiting is left unchecked.
 *
 * Applied once, when this module loads (the kafkajs adapter imports it); it refuses to patch a kafkajs whose
 * RequestQueue does not look like 2.2.4's, so an upgrade is noticed rather than silently patched wrong.
 */
/** kafkajs's own value (src/network/requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('closeout.kafkajs.requestQueueFix');

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delay: number;
  if (this.pending.length > 0) {
    delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL;
  } else if (untilUnthrottled > 0) {
    delay = untilUnthrottled;
  } else {
    return;
  }
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** Patches kafkajs's RequestQueue (idempotent). Throws when the installed kafkajs is not the shape it was written for. */
export function fixKafkajsRequestQueue(): void {
  // Plain requires, so the patched class is the one kafkajs itself loads (under Jest too, whose registry they use).
  const { version } = require('kafkajs/package.json') as { version: string };
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals & { [PATCHED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return;
  const original = proto.scheduleCheckPendingRequests;
  if (
    version !== '2.2.4' ||
    typeof original !== 'function' ||
    !/this\.throttledUntil - Date\.now\(\)/.test(original.toString())
  ) {
    throw new Error(
      `kafkajs ${version}: its RequestQueue is not the 2.2.4 code libs/kafka's request-queue fix replaces; ` +
        'check whether the idle loop (kafkajs issue #1556) is fixed there and update or remove the fix',
    );
  }
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto[PATCHED] = true;
}

fixKafkajsRequestQueue();
