/**
 * The audit exporter's SIEM export as its own process, for the loss harness to SIGKILL: the ExportRunner on
 * LOSS_SCHEMA with the AUDIT_* variables (exportEnvSchema), until SIGTERM.
 */
import { exportConfigFrom, exportEnvSchema } from '../../../apps/audit-exporter/src/export/export.config';
import { ExportRunner } from '../../../apps/audit-exporter/src/export/export.runner';
import { exportDataSource } from '../../../apps/audit-exporter/src/export/test-support/fresh-export-schema';

async function main(): Promise<void> {
  const schema = process.env['LOSS_SCHEMA'];
  if (!schema || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error('LOSS_SCHEMA must be a schema name');
  const config = exportConfigFrom(exportEnvSchema.parse(process.env));
  const ds = await exportDataSource(schema).initialize();
  const log = {
    info: () => undefined,
    warn: () => undefined,
    error: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
  };
  const runner = new ExportRunner(ds, config, log);
  runner.start();
  process.stdout.write(`exporter ${process.pid} running (hec channel ${runner.hecChannel ?? '-'})\n`);
  process.once('SIGTERM', () => {
    void runner
      .stop()
      .then(() => ds.destroy())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`exporter failed: ${(error as Error).message}\n`);
  process.exit(1);
});
