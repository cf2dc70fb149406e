import { stopContainers } from './containers';

/** Stops containers the setup started; the devstack is left running for the next run (it is idempotent). */
export default async function globalTeardown(): Promise<void> {
  await stopContainers();
}
