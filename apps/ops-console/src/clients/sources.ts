import type { Config } from '../config';
import { Upstream } from './upstream';

/** The services the console reads and acts through, each with the console's own credentials. */
export class Sources {
  readonly orchestrator: Upstream;
  readonly reconciler: Upstream;
  readonly audit: Upstream;
  readonly prometheus: Upstream;
  readonly alertmanager: Upstream;
  readonly zipkinUiUrl: string | undefined;

  constructor(config: Config) {
    const timeoutMs = config.CONSOLE_UPSTREAM_TIMEOUT_MS;
    this.orchestrator = new Upstream({
      label: 'the orchestrator',
      baseUrl: config.ORCHESTRATOR_URL,
      token: config.CONSOLE_ORCHESTRATOR_TOKEN,
      timeoutMs,
    });
    this.reconciler = new Upstream({
      label: 'the reconciler',
      baseUrl: config.RECONCILER_URL,
      token: config.CONSOLE_RECONCILER_TOKEN,
      timeoutMs,
    });
    this.audit = new Upstream({
      label: 'the audit store',
      baseUrl: config.AUDIT_URL,
      token: config.CONSOLE_AUDIT_TOKEN,
      timeoutMs,
    });
    this.prometheus = new Upstream({ label: 'Prometheus', baseUrl: config.PROMETHEUS_URL, timeoutMs });
    this.alertmanager = new Upstream({ label: 'Alertmanager', baseUrl: config.ALERTMANAGER_URL, timeoutMs });
    this.zipkinUiUrl = config.ZIPKIN_UI_URL;
  }

  /** The case's trace in Zipkin's UI: spans tagged with the case id (`closeout.case_id`). */
  traceUrl(caseId: string): string | undefined {
    if (!this.zipkinUiUrl) return undefined;
    const base = this.zipkinUiUrl.replace(/\/+$/, '');
    return `${base}/zipkin/?annotationQuery=${encodeURIComponent(`closeout.case_id=${caseId}`)}&lookback=604800000&limit=10`;
  }
}
