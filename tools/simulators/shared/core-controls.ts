/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * What a test or harness does with a running simulated core, whatever its protocol: read its journal and stats,
 * change its active faults, close it.
 */

export interface FaultControls<R> {
  /** Replaces the active faults. */
  setFaults(...rules: R[]): void;
  /** Appends to the active faults (what `POST /_sim/faults` does). */
  addFaults(...rules: R[]): void;
  clearFaults(): void;
  faults(): R[];
}

export interface SimulatedCoreControls<J, S, R> extends FaultControls<R> {
  /** Snapshot of every posting, in commit order. */
  journal(): readonly J[];
  stats(): S;
  close(): Promise<void>;
}

/** The fault controls of a core over its fault book. */
export function faultControls<R>(book: {
  add(...rules: R[]): void;
  clear(): void;
  list(): R[];
}): FaultControls<R> {
  return {
    setFaults: (...rules) => {
      book.clear();
      book.add(...rules);
    },
    addFaults: (...rules) => book.add(...rules),
    clearFaults: () => book.clear(),
    faults: () => book.list(),
  };
}
