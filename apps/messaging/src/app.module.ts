import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { EmailProvider, providerFor, type Channel, type ChannelProvider } from '@closeout/messaging-channels';
import { OUTBOX_RELAY_SETTINGS, OutboxRelayService } from '@closeout/outbox';
import { dbStatementMetrics, ServiceCoreModule } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import { CLOCK, systemClock, type Clock } from './clock/clock';
import type { Config } from './config';
import { MESSAGING_SERVICE_NAME, MessagingConsumer } from './messaging.consumer';
import { messagingMigrations } from './persistence/1796000000000-messaging.migration';
import { SendPolicy } from './sends/send-policy';
import { SEND_WORKER_SETTINGS, SendWorker, type SendWorkerSettings } from './sends/send-worker';
import { DEFAULT_TEMPLATES_DIR, TemplateCatalog } from './templates/template-catalog';
import { WEBHOOK_SETTINGS, WebhookHandler, type WebhookSettings } from './webhooks/webhook-handler';
import { UnsubscribeController } from './unsubscribe/unsubscribe.controller';
import { UnsubscribeService } from './unsubscribe/unsubscribe.service';
import { WebhookController } from './webhooks/webhook.controller';
import { InternalController } from './internal/internal.controller';
import { MessagingOpenApiController } from './http/openapi';
import {
  ONE_TIME_CODE_SETTINGS,
  OneTimeCodeService,
  type OneTimeCodeSettings,
} from './internal/one-time-code.service';
import { ONE_TIME_CODE_TEMPLATE_ID } from './templates/template-catalog';

/** How long the outbox relay lets messages gather after it wakes (see OutboxRelay's lingerMs). */
const OUTBOX_LINGER_MS = 20;

/** One provider per configured channel: email through SMTP, SMS and WhatsApp through `providerFor`. */
export function channelProviders(config: Config): Map<Channel, ChannelProvider> {
  const providers = new Map<Channel, ChannelProvider>();
  const logger = createLogger('channel-provider');
  if (config.channels.EMAIL) providers.set('EMAIL', new EmailProvider(config.channels.EMAIL));
  if (config.channels.SMS) providers.set('SMS', providerFor('SMS', config.channels.SMS, { logger }));
  if (config.channels.WHATSAPP)
    providers.set('WHATSAPP', providerFor('WHATSAPP', config.channels.WHATSAPP, { logger }));
  return providers;
}

/** What the send worker runs with, built once at boot: a template missing a required part stops it here. */
export function sendWorkerSettings(
  config: Config,
  overrides: Partial<SendWorkerSettings> = {},
): SendWorkerSettings {
  return {
    serviceName: config.SERVICE_NAME,
    miniAppBaseUrl: config.MINIAPP_BASE_URL,
    defaultTimeZone: config.MESSAGING_DEFAULT_TIME_ZONE,
    defaultLocale: config.MESSAGING_DEFAULT_LOCALE,
    sendWindow: config.MESSAGING_SEND_WINDOW,
    frequencyCaps: config.MESSAGING_FREQUENCY_CAPS,
    fallbackChannels: config.MESSAGING_FALLBACK_CHANNELS,
    pollMs: config.MESSAGING_WORKER_POLL_MS,
    batch: config.MESSAGING_WORKER_BATCH,
    leaseMs: config.MESSAGING_LEASE_MS,
    contactWaitMs: config.MESSAGING_CONTACT_WAIT_MS,
    outcomes: {
      maxSendAttempts: config.MESSAGING_MAX_SEND_ATTEMPTS,
      retryBaseMs: config.MESSAGING_RETRY_BASE_MS,
      retryMaxMs: config.MESSAGING_RETRY_MAX_MS,
      lookupDelayMs: config.MESSAGING_LOOKUP_DELAY_MS,
      lookupVisibilityMs: config.MESSAGING_LOOKUP_VISIBILITY_MS,
      unknownMaxMs: config.MESSAGING_UNKNOWN_MAX_MS,
    },
    providers: channelProviders(config),
    templates: TemplateCatalog.load(config.MESSAGING_TEMPLATES_DIR ?? DEFAULT_TEMPLATES_DIR),
    whatsappTemplates: config.WHATSAPP_APPROVED_TEMPLATES,
    ...overrides,
  };
}

/**
 * With the internal API served, each configured channel needs a one-time code template in the default locale (SMS too
 * when WhatsApp is configured: its fallback outside the window); the service does not start without them.
 */
export function checkCodeTemplates(config: Config, worker: SendWorkerSettings): void {
  if (!config.MESSAGING_INTERNAL_API_TOKENS) return;
  const missing = [...worker.providers.keys()].filter(
    (channel) =>
      !worker.templates.find(ONE_TIME_CODE_TEMPLATE_ID, channel, worker.defaultLocale, worker.defaultLocale),
  );
  if (missing.length > 0)
    throw new Error(
      `MESSAGING_INTERNAL_API_TOKENS is set but templates/${ONE_TIME_CODE_TEMPLATE_ID} has no ${missing.join(', ')} ` +
        `template in ${worker.defaultLocale} (MESSAGING_DEFAULT_LOCALE)`,
    );
}

/** What a caller may set when building the module: the clock (the system's by default), worker settings. */
export interface AppModuleOptions extends Partial<SendWorkerSettings> {
  clock?: Clock;
}

@Module({})
export class AppModule {
  static register(config: Config, options: AppModuleOptions = {}): DynamicModule {
    const { clock = systemClock, ...overrides } = options;
    const worker = sendWorkerSettings(config, overrides);
    checkCodeTemplates(config, worker);
    const codes: OneTimeCodeSettings = { sendTimeoutMs: config.MESSAGING_CODE_SEND_TIMEOUT_MS };
    // Without tokens the internal API is not served at all: its routes answer 404.
    const internal = config.MESSAGING_INTERNAL_API_TOKENS ? [InternalController] : [];
    const webhooks: WebhookSettings = {
      serviceName: config.SERVICE_NAME,
      publicBaseUrl: config.MESSAGING_PUBLIC_BASE_URL,
      maxBodyBytes: config.MESSAGING_WEBHOOK_MAX_BYTES,
      optOutConfirmation: config.MESSAGING_OPT_OUT_CONFIRMATION,
      providers: worker.providers,
      whatsappVerifyToken: config.WHATSAPP_VERIFY_TOKEN,
    };
    return {
      module: AppModule,
      controllers: [WebhookController, UnsubscribeController, ...internal, MessagingOpenApiController],
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [Topics.outreachRequested, Topics.customerContact, Topics.outreachEvent, Topics.auditEvent],
          database: {
            schema: config.MESSAGING_DB_SCHEMA,
            entities: [],
            migrations: messagingMigrations,
            poolSize: config.MESSAGING_DB_POOL,
          },
        }),
      ],
      providers: [
        { provide: MESSAGING_SERVICE_NAME, useValue: config.SERVICE_NAME },
        // Every policy time (quiet hours, caps, the WhatsApp window, due times) is read from it.
        { provide: CLOCK, useValue: clock },
        { provide: SEND_WORKER_SETTINGS, useValue: worker },
        { provide: WEBHOOK_SETTINGS, useValue: webhooks },
        WebhookHandler,
        UnsubscribeService,
        { provide: ONE_TIME_CODE_SETTINGS, useValue: codes },
        OneTimeCodeService,
        // outreach.event.v1 and audit events, from the messaging schema's outbox.
        {
          provide: OUTBOX_RELAY_SETTINGS,
          // Each batch of worker moves commits its own outbox rows: 20 ms of linger lets the relay take several
          // together (one relay transaction per ~20 ms when busy, not one per commit), for at most 20 ms on an event.
          useValue: {
            schema: config.MESSAGING_DB_SCHEMA,
            retentionMs: config.OUTBOX_RETENTION_MS,
            lingerMs: OUTBOX_LINGER_MS,
          },
        },
        OutboxRelayService,
        // messaging_db_statements_total{kind} on /metrics: the SQL the service sends.
        dbStatementMetrics('messaging_db_statements_total'),
        SendPolicy,
        SendWorker,
        MessagingConsumer,
      ],
    };
  }
}
