/** Closeout's nine services and their local HTTP ports: what compose, Kubernetes and the main job deploy. */
export const services = [
  { name: 'trigger-ingest', port: 3001 },
  { name: 'orchestrator', port: 3002 },
  { name: 'messaging', port: 3003 },
  { name: 'mini-app-backend', port: 3004 },
  { name: 'writeback-rest', port: 3005 },
  { name: 'writeback-soap', port: 3006 },
  { name: 'writeback-sftp', port: 3007 },
  { name: 'reconciler', port: 3008 },
  { name: 'audit-exporter', port: 3009 },
] as const;

export type ServiceName = (typeof services)[number]['name'];
