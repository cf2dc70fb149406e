import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { OUTBOX_RELAY_SETTINGS, OutboxRelayService } from '@closeout/outbox';
import { dbStatementMetrics, ServiceCoreModule } from '@closeout/platform';
import { ACTION_FORMS } from './actions/action-form';
import { MessagingClient } from './clients/messaging.client';
import { EligibilityCache } from './clients/eligibility-cache';
import { OrchestratorClient } from './clients/orchestrator.client';
import type { Config } from './config';
import { RateLimits } from './http/rate-limits';
import { IdentityService } from './identity/identity.service';
import { LinkController } from './links/link.controller';
import { LinkEventsConsumer } from './links/link-events.consumer';
import { AssetsController } from './pages/assets.controller';
import { Catalog } from './pages/i18n';
import { PageRenderer } from './pages/page-renderer';
import { miniAppMigrations } from './persistence/1797000000000-miniapp.migration';
import { OutboxTraceContext1797900000000 } from './persistence/1797900000000-outbox-trace-context.migration';
import { LinkTraceContext1798000000000 } from './persistence/1798000000000-link-trace-context.migration';
import { SessionController } from './sessions/session.controller';
import type { MiniAppSettings } from './settings';
import { MINIAPP_SERVICE_NAME, MINIAPP_SETTINGS } from './tokens';

/** How long a session's eligible actions are reused (see EligibilityCache), and for how many sessions at most. */
const ELIGIBILITY_TTL_MS = 5_000;
const ELIGIBILITY_MAX_SESSIONS = 10_000;

export function miniAppSettings(config: Config): MiniAppSettings {
  return {
    serviceName: config.SERVICE_NAME,
    publicBaseUrl: config.MINIAPP_PUBLIC_BASE_URL,
    publicOrigin: new URL(config.MINIAPP_PUBLIC_BASE_URL).origin,
    otpKey: config.MINIAPP_OTP_KEY,
    sessionIdleSeconds: config.MINIAPP_SESSION_IDLE_SECONDS,
    sessionMaxSeconds: config.MINIAPP_SESSION_MAX_SECONDS,
    rateLimits: {
      perIp: config.MINIAPP_RATE_LIMIT_PER_IP,
      perLink: config.MINIAPP_RATE_LIMIT_PER_LINK,
      perCustomer: config.MINIAPP_RATE_LIMIT_PER_CUSTOMER,
    },
    upload: { maxFiles: config.MINIAPP_UPLOAD_MAX_FILES, maxBytes: config.MINIAPP_UPLOAD_MAX_BYTES },
    ...(config.CARD_PROCESSOR_URL ? { cardProcessorOrigin: new URL(config.CARD_PROCESSOR_URL).origin } : {}),
  };
}

/** What a caller may add when building the module: the action forms and the document reader (and their strings). */
export interface AppModuleOptions {
  /** Providers of ACTION_FORMS (and what they inject); without them the registry is empty. */
  actionFormProviders?: Provider[];
  /** Extra strings per locale (the forms' own). */
  strings?: Record<string, Record<string, string>>;
}

@Module({})
export class AppModule {
  static register(config: Config, options: AppModuleOptions = {}): DynamicModule {
    const settings = miniAppSettings(config);
    const catalog = new Catalog();
    // A tag of a language the pages already speak (the forms' `en`, an alias of en-GB) adds to that locale rather
    // than making a partial one of its own: the pages keep answering in en-GB, `lang="en-GB"`.
    for (const [locale, strings] of Object.entries(options.strings ?? {})) {
      const known = catalog.resolve(locale);
      const sameLanguage = known.split('-')[0]?.toLowerCase() === locale.split('-')[0]?.toLowerCase();
      catalog.add(sameLanguage ? known : locale, strings);
    }
    const formProviders = options.actionFormProviders ?? [{ provide: ACTION_FORMS, useValue: [] }];
    return {
      module: AppModule,
      controllers: [LinkController, SessionController, AssetsController],
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [
            Topics.outreachEvent,
            Topics.caseState,
            Topics.customerFacts,
            Topics.miniappAction,
            Topics.auditEvent,
          ],
          database: {
            schema: config.MINIAPP_DB_SCHEMA,
            entities: [],
            // The trace context columns come last, after every migration of miniAppMigrations.
            migrations: [
              ...miniAppMigrations,
              OutboxTraceContext1797900000000,
              LinkTraceContext1798000000000,
            ],
            poolSize: config.MINIAPP_DB_POOL,
          },
        }),
      ],
      providers: [
        { provide: MINIAPP_SERVICE_NAME, useValue: config.SERVICE_NAME },
        { provide: MINIAPP_SETTINGS, useValue: settings },
        { provide: PageRenderer, useValue: new PageRenderer(catalog, settings.cardProcessorOrigin) },
        {
          provide: RateLimits,
          useValue: new RateLimits({
            ip: settings.rateLimits.perIp,
            link: settings.rateLimits.perLink,
            customer: settings.rateLimits.perCustomer,
          }),
        },
        {
          provide: OrchestratorClient,
          useValue: new OrchestratorClient({
            baseUrl: config.ORCHESTRATOR_URL,
            token: config.MINIAPP_ORCHESTRATOR_TOKEN,
            timeoutMs: config.MINIAPP_UPSTREAM_TIMEOUT_MS,
          }),
        },
        {
          provide: EligibilityCache,
          inject: [OrchestratorClient],
          useFactory: (orchestrator: OrchestratorClient) =>
            new EligibilityCache(orchestrator, {
              ttlMs: ELIGIBILITY_TTL_MS,
              maxEntries: ELIGIBILITY_MAX_SESSIONS,
            }),
        },
        {
          provide: MessagingClient,
          useValue: new MessagingClient({
            baseUrl: config.MESSAGING_INTERNAL_URL,
            token: config.MINIAPP_MESSAGING_TOKEN,
            timeoutMs: config.MINIAPP_UPSTREAM_TIMEOUT_MS,
          }),
        },
        ...formProviders,
        IdentityService,
        LinkEventsConsumer,
        dbStatementMetrics('miniapp_db_statements_total'),
        // miniapp.action.v1 and audit events, from the mini-app schema's outbox.
        {
          provide: OUTBOX_RELAY_SETTINGS,
          useValue: { schema: config.MINIAPP_DB_SCHEMA, retentionMs: config.OUTBOX_RETENTION_MS },
        },
        OutboxRelayService,
      ],
    };
  }
}
