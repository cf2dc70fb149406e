/**
 * Stops the services and the ops console the main job started (SIGTERM: consumers drain and commit), the simulated
 * cores and messaging providers, then the devstack (unless `--keep-devstack`).
 */
import { execFileSync } from 'node:child_process';
import { devstackCommand, services, stopService, waitForExit } from './services';

async function main(): Promise<void> {
  for (const s of services) if (stopService(s.name)) console.log(`stopping ${s.name}`);
  for (const s of services) {
    if (!(await waitForExit(s.name, 15_000))) {
      stopService(s.name, 'SIGKILL');
      console.log(`${s.name} did not stop in 15 s: killed`);
    }
  }
  for (const core of ['rest-core', 'soap-core', 'sftp-core', 'sms-provider', 'whatsapp-provider']) {
    if (stopService(core)) {
      console.log(`stopping the simulated ${core}`);
      await waitForExit(core, 5_000);
    }
  }
  if (!process.argv.includes('--keep-devstack')) {
    execFileSync(devstackCommand, ['down'], { stdio: 'inherit' });
  }
}

void main();
