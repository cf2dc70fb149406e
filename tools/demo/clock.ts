/** The main job's clock: every progress line carries the seconds since the job started. */
const t0 = Date.now();

/** Seconds since the job started. */
export const elapsedS = (): number => (Date.now() - t0) / 1000;

/** Prints `msg` after the elapsed time, e.g. `[  12.3s] msg`. */
export const say = (msg: string): void => console.log(`[${`${elapsedS().toFixed(1)}s`.padStart(7)}] ${msg}`);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
