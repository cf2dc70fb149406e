export const ORCHESTRATOR_INSTANCE = Symbol('orchestrator.instance');

/** Who this instance is: its consumer groups are named after the service, its state lives in its schema. */
export interface OrchestratorInstance {
  serviceName: string;
  schema: string;
}
