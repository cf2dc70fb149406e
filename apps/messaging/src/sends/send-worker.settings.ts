import type { Channel, ChannelProvider } from '@closeout/messaging-channels';
import type { FrequencyCap, SendWindow } from '@closeout/messaging-domain';
import type { TemplateCatalog } from '../templates/template-catalog';
import type { ApprovedTemplates } from '../whatsapp/approved-templates';
import type { OutcomePolicy } from './send-status';

/** What the send worker and the policy it applies run with, built once at boot (`sendWorkerSettings`). */
export interface SendWorkerSettings {
  serviceName: string;
  miniAppBaseUrl: string;
  defaultTimeZone: string;
  defaultLocale: string;
  sendWindow: SendWindow;
  frequencyCaps: readonly FrequencyCap[];
  fallbackChannels: readonly Channel[];
  pollMs: number;
  batch: number;
  leaseMs: number;
  /** How long a request waits for its customer's contact statement before it is decided without one. */
  contactWaitMs: number;
  outcomes: OutcomePolicy;
  providers: ReadonlyMap<Channel, ChannelProvider>;
  templates: TemplateCatalog;
  /** WhatsApp templates approved at the provider, sent outside the 24-hour window. */
  whatsappTemplates: ApprovedTemplates;
}

export const SEND_WORKER_SETTINGS = Symbol('messaging.send-worker-settings');
