import { freePort } from '@closeout/writeback-core/testing';
import { measureRejoin } from './rejoin-after-kill';

/**
 * A writeback-rest process killed with SIGKILL leaves no LeaveGroup behind: its replacement waits for the dead
 * member's session to time out before it gets the partitions. With writeback-rest's 6 s session the new process
 * consumes a request published at its start within 10 s of that start (it used to take ~30 s).
 */
describe('writeback-rest after SIGKILL (real process, Kafka, PostgreSQL)', () => {
  it('consumes a fresh writeback.requested within 10 s of the new start', async () => {
    const report = await measureRejoin({
      signal: 'SIGKILL',
      rounds: 1,
      port: await freePort(),
      log: () => undefined,
    });
    const [round] = report.rounds;
    console.log(
      `rejoin after SIGKILL: consumed ${(round!.startToConsumedMs / 1000).toFixed(1)} s after the new start ` +
        `(ready after ${(round!.startToReadyMs / 1000).toFixed(1)} s; cold boot ${(report.coldBootMs / 1000).toFixed(1)} s)`,
    );
    expect(round!.startToConsumedMs).toBeLessThan(10_000);
  }, 180_000);
});
