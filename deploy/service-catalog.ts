/**
 * What compose, Kubernetes, Prometheus and the main job deploy: Closeout's nine services and the ops console, each
 * with its local HTTP port (where it serves /health and /metrics) and whether it has Kafka and a PostgreSQL schema
 * of its own. The console has neither: it calls the other services' APIs (apps/ops-console/README.md).
 */
export interface CatalogEntry {
  readonly name: string;
  readonly port: number;
  /** Consumes and/or publishes Kafka topics (as its own Kafka principal). */
  readonly kafka: boolean;
  /** Owns a PostgreSQL schema (DATABASE_URL). */
  readonly database: boolean;
}

export const services = [
  { name: 'trigger-ingest', port: 3001, kafka: true, database: true },
  { name: 'orchestrator', port: 3002, kafka: true, database: true },
  { name: 'messaging', port: 3003, kafka: true, database: true },
  { name: 'mini-app-backend', port: 3004, kafka: true, database: true },
  { name: 'writeback-rest', port: 3005, kafka: true, database: true },
  { name: 'writeback-soap', port: 3006, kafka: true, database: true },
  { name: 'writeback-sftp', port: 3007, kafka: true, database: true },
  { name: 'reconciler', port: 3008, kafka: true, database: true },
  { name: 'audit-exporter', port: 3009, kafka: true, database: true },
  { name: 'ops-console', port: 3010, kafka: false, database: false },
] as const satisfies readonly CatalogEntry[];

type Entry = (typeof services)[number];
/** Every deployed app, the console included. */
export type ServiceName = Entry['name'];
/** The nine services on Kafka with a database of their own. */
export type PlatformService = Extract<Entry, { kafka: true; database: true }>;
export type PlatformServiceName = PlatformService['name'];

/** The nine services on Kafka with a database of their own (what the Kafka, topic and schema tooling is about). */
export const platformServices: readonly PlatformService[] = services.filter(
  (s): s is PlatformService => s.kafka && s.database,
);
