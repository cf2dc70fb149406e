import { CreateWritebackLedger1795317000000 } from './1795317000000-create-writeback-ledger';
import { CreateWritebackCommand1795317100000 } from './1795317100000-create-writeback-command';
import { IndexLedgerProviderRef1795317400000 } from './1795317400000-index-ledger-provider-ref';
import { OutboxSetAside1795317500000 } from './1795317500000-outbox-set-aside';
import { OutboxTraceContext1795319000000 } from './1795319000000-outbox-trace-context';
import { LedgerTraceContext1795320000000 } from './1795320000000-ledger-trace-context';

/** Every migration of the writeback schema, oldest first. A new migration is a new file added at the end. */
export const writebackMigrations = [
  CreateWritebackLedger1795317000000,
  CreateWritebackCommand1795317100000,
  IndexLedgerProviderRef1795317400000,
  OutboxSetAside1795317500000,
  OutboxTraceContext1795319000000,
  LedgerTraceContext1795320000000,
];
