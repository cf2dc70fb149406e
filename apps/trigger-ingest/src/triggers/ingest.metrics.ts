import { Counter, register } from 'prom-client';

export type IngestOutcomeLabel = 'accepted' | 'duplicate' | 'conflict' | 'refused';

/**
 * `closeout_ingest_triggers_total{outcome, channel, source_system}` in prom-client's default registry (what
 * /metrics serves). Looked up before created: several app instances in one process (tests) share it.
 */
export function ingestTriggersCounter(): Counter<'outcome' | 'channel' | 'source_system'> {
  const name = 'closeout_ingest_triggers_total';
  return (
    (register.getSingleMetric(name) as Counter<'outcome' | 'channel' | 'source_system'> | undefined) ??
    new Counter({
      name,
      help: 'Upstream events by outcome (accepted, duplicate, conflict, refused), channel (http or the topic) and configured source system (else unknown)',
      labelNames: ['outcome', 'channel', 'source_system'],
    })
  );
}
