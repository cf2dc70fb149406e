import { LedgerAttemptEntity } from './ledger-attempt.entity';
import { LedgerConflictEntity } from './ledger-conflict.entity';
import { LedgerEntity } from './ledger.entity';
import { OutboxEntity } from './outbox.entity';

export { LedgerAttemptEntity, LedgerConflictEntity, LedgerEntity, OutboxEntity };

/** Every entity of the writeback schema, for the service's data source. */
export const writebackEntities = [LedgerEntity, LedgerAttemptEntity, LedgerConflictEntity, OutboxEntity];
