/**
 * The operator's handle on outbox messages the relay set aside (the CloseoutOutboxMessagesSetAside alert says when):
 *
 *   node_modules/.bin/node -r @swc-node/register libs/outbox/src/lib/outbox-set-aside.cli.ts list --schema writeback_rest
 *   ... redrive --schema writeback_rest 1042 1043    # the cause is fixed: publish them next
 *   ... discard --schema orchestrator 77            # nothing downstream needs it
 *
 * Reads DATABASE_URL. Prints ids, topics, correlation ids, sizes and reasons: never a message's content.
 */
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { baseEnvSchema, loadConfig } from '@closeout/config';
import { OutboxSetAside } from './outbox-set-aside';

const usage =
  'usage: outbox-set-aside.cli.ts list|redrive|discard --schema <schema> [--limit n] [ids…] (DATABASE_URL set)';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { schema: { type: 'string' }, limit: { type: 'string', default: '100' } },
  });
  const [command, ...ids] = positionals;
  if (!values.schema || !command) {
    console.error(usage);
    return 1;
  }
  const { DATABASE_URL } = loadConfig(baseEnvSchema.pick({ DATABASE_URL: true }));
  const dataSource = new DataSource({ type: 'postgres', url: DATABASE_URL, poolSize: 1 });
  await dataSource.initialize();
  try {
    const outbox = new OutboxSetAside(dataSource, values.schema);
    switch (command) {
      case 'list': {
        const entries = await outbox.list(Number(values.limit));
        for (const e of entries)
          console.log(
            `${e.id}\t${e.topic}\t${e.correlationId}\t${e.bytes} B\tset aside ${e.setAsideAt.toISOString()}\t${e.reason}`,
          );
        console.log(`${entries.length} set-aside message(s) in ${values.schema}`);
        return 0;
      }
      case 'redrive':
      case 'discard': {
        if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) {
          console.error(`${command}: give the ids to act on (numbers, from list)`);
          return 1;
        }
        const done = command === 'redrive' ? await outbox.redrive(ids) : await outbox.discard(ids);
        const skipped = ids.filter((id) => !done.includes(id));
        console.log(
          `${command}: ${done.join(', ') || 'none'}${skipped.length ? `; not set aside: ${skipped.join(', ')}` : ''}`,
        );
        return 0;
      }
      default:
        console.error(usage);
        return 1;
    }
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
