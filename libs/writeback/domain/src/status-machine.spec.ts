import type { WritebackStatus } from '@closeout/contracts';
import { IllegalTransitionError } from './errors';
import {
  assertTransition,
  canTransition,
  expectedFromStates,
  INITIAL_STATUSES,
  isInitialStatus,
  isTerminal,
  WRITEBACK_STATUSES,
} from './status-machine';

/** The whole table, spelled out: every pair not listed here must be illegal. */
const ALLOWED: [WritebackStatus, WritebackStatus][] = [
  ['PENDING', 'IN_FLIGHT'],
  ['IN_FLIGHT', 'APPLIED'],
  ['IN_FLIGHT', 'FAILED_RETRYABLE'],
  ['IN_FLIGHT', 'FAILED_PERMANENT'],
  ['IN_FLIGHT', 'UNKNOWN'],
  ['FAILED_RETRYABLE', 'IN_FLIGHT'],
  ['UNKNOWN', 'APPLIED'],
  ['UNKNOWN', 'FAILED_RETRYABLE'],
  ['UNKNOWN', 'FAILED_PERMANENT'],
  ['UNKNOWN', 'UNKNOWN'],
  ['APPLIED', 'COMPENSATED'],
  ['FAILED_PERMANENT', 'APPLIED'],
];

const allPairs = WRITEBACK_STATUSES.flatMap((from) =>
  WRITEBACK_STATUSES.map((to): [WritebackStatus, WritebackStatus] => [from, to]),
);
const isAllowed = (from: WritebackStatus, to: WritebackStatus): boolean =>
  ALLOWED.some(([f, t]) => f === from && t === to);

describe('writeback status machine', () => {
  it.each(allPairs)('%s → %s is legal exactly when the table says so', (from, to) => {
    expect(
      canTransition(from, to, { destinationConfirmedNoRecord: true, destinationConfirmedPosting: true }),
    ).toBe(isAllowed(from, to));
  });

  it('never lets an unknown outcome be sent again directly', () => {
    expect(canTransition('UNKNOWN', 'IN_FLIGHT')).toBe(false);
    expect(() => assertTransition('UNKNOWN', 'IN_FLIGHT')).toThrow(IllegalTransitionError);
  });

  it('lets UNKNOWN become retryable only once the destination confirmed it has no record', () => {
    expect(canTransition('UNKNOWN', 'FAILED_RETRYABLE')).toBe(false);
    expect(canTransition('UNKNOWN', 'FAILED_RETRYABLE', { destinationConfirmedNoRecord: false })).toBe(false);
    expect(canTransition('UNKNOWN', 'FAILED_RETRYABLE', { destinationConfirmedNoRecord: true })).toBe(true);
    expect(() => assertTransition('UNKNOWN', 'FAILED_RETRYABLE')).toThrow(
      'illegal writeback transition UNKNOWN → FAILED_RETRYABLE: an unknown outcome may become retryable only after the destination confirmed it has no record',
    );
    // A failed send is retryable without any lookup.
    expect(canTransition('IN_FLIGHT', 'FAILED_RETRYABLE')).toBe(true);
  });

  it('lets a permanent failure become applied only once the destination confirmed a posting under the key', () => {
    expect(canTransition('FAILED_PERMANENT', 'APPLIED')).toBe(false);
    expect(canTransition('FAILED_PERMANENT', 'APPLIED', { destinationConfirmedPosting: false })).toBe(false);
    // Evidence of the other kind is no evidence here.
    expect(canTransition('FAILED_PERMANENT', 'APPLIED', { destinationConfirmedNoRecord: true })).toBe(false);
    expect(canTransition('FAILED_PERMANENT', 'APPLIED', { destinationConfirmedPosting: true })).toBe(true);
    expect(() => assertTransition('FAILED_PERMANENT', 'APPLIED')).toThrow(
      'illegal writeback transition FAILED_PERMANENT → APPLIED: a permanent failure may become applied only after the destination confirmed it holds a posting under the key',
    );
    // Nothing else leaves FAILED_PERMANENT, whatever the evidence: it is never sent again.
    expect(
      WRITEBACK_STATUSES.filter((to) =>
        canTransition('FAILED_PERMANENT', to, {
          destinationConfirmedNoRecord: true,
          destinationConfirmedPosting: true,
        }),
      ),
    ).toEqual(['APPLIED']);
  });

  it('explains an illegal transition with what is allowed', () => {
    expect(() => assertTransition('PENDING', 'APPLIED')).toThrow(
      'illegal writeback transition PENDING → APPLIED: from PENDING only IN_FLIGHT are allowed',
    );
    expect(() => assertTransition('FAILED_PERMANENT', 'IN_FLIGHT')).toThrow(
      'from FAILED_PERMANENT only APPLIED are allowed',
    );
    expect(() => assertTransition('REJECTED_CONFLICT', 'APPLIED')).toThrow('REJECTED_CONFLICT is final');
  });

  it('treats settled outcomes as terminal and work in progress as not', () => {
    expect(WRITEBACK_STATUSES.filter(isTerminal)).toEqual([
      'APPLIED',
      'FAILED_PERMANENT',
      'REJECTED_CONFLICT',
      'COMPENSATED',
    ]);
  });

  it('creates conflict records directly in REJECTED_CONFLICT: never reached by an UPDATE', () => {
    expect(INITIAL_STATUSES).toEqual(['PENDING', 'REJECTED_CONFLICT']);
    expect(isInitialStatus('REJECTED_CONFLICT')).toBe(true);
    expect(isInitialStatus('IN_FLIGHT')).toBe(false);
    expect(expectedFromStates('REJECTED_CONFLICT')).toEqual([]);
    expect(WRITEBACK_STATUSES.filter((from) => canTransition(from, 'REJECTED_CONFLICT'))).toEqual([]);
  });

  it.each([
    ['IN_FLIGHT', ['PENDING', 'FAILED_RETRYABLE']],
    ['APPLIED', ['IN_FLIGHT', 'FAILED_PERMANENT', 'UNKNOWN']],
    ['FAILED_RETRYABLE', ['IN_FLIGHT', 'UNKNOWN']],
    ['FAILED_PERMANENT', ['IN_FLIGHT', 'UNKNOWN']],
    ['UNKNOWN', ['IN_FLIGHT', 'UNKNOWN']],
    ['COMPENSATED', ['APPLIED']],
    ['PENDING', []],
  ] as [WritebackStatus, WritebackStatus[]][])(
    'guards an UPDATE to %s with WHERE status IN %j',
    (to, from) => {
      expect(expectedFromStates(to)).toEqual(from);
    },
  );
});
