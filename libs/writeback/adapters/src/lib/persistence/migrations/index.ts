import { CreateWritebackLedger1795317000000 } from './1795317000000-create-writeback-ledger';

/** Every migration of the writeback schema, oldest first. A new migration is a new file added at the end. */
export const writebackMigrations = [CreateWritebackLedger1795317000000];
