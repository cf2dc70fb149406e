import { SourceEvent1732240000000 } from './1732240000000-source-event.migration';
import { SourceEventVersions1732250000000 } from './1732250000000-source-event-versions.migration';
import { SourceEventFingerprint1732260000000 } from './1732260000000-source-event-fingerprint.migration';
import { IngestOutbox1732270000000 } from './1732270000000-ingest-outbox.migration';
import { OutboxTraceContext1732290000000 } from './1732290000000-outbox-trace-context.migration';

/** Every migration of the `ingest` schema, oldest first. A new migration is a new file added at the end. */
export const ingestMigrations = [
  SourceEvent1732240000000,
  SourceEventVersions1732250000000,
  SourceEventFingerprint1732260000000,
  IngestOutbox1732270000000,
  OutboxTraceContext1732290000000,
];
