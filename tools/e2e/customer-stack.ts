/**
 * The customer's side of the platform for browser tests, on top of CaseStack (trigger-ingest, the orchestrator, the
 * writeback services and the simulated cores): messaging (email to the devstack's SMTP sink, SMS to a simulated
 * Twilio-compatible provider started in this process), the mini-app the links in messages point at, and the
 * simulated card processor (in this process, on another origin) whose hosted page the mini-app's card forms send the
 * customer to. Messaging and the mini-app run as processes of their own, as CaseStack's services do, each with this
 * run's consumer groups (positioned at the topics' end), PostgreSQL schema and secrets (random per run, never
 * printed).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { Topics } from '@closeout/contracts';
import { kafkaConnectionFromEnv, positionGroupsAtEnd } from '@closeout/kafka';
import { startCardProcessor, type CardProcessor } from '../simulators/card-processor';
import { startSmsProvider, type SmsProvider } from '@closeout/simulators/sms-provider';
import { logFile, startService, stopService, waitForExit, waitUntilReady } from '../demo/services';
import { CaseStack, freePort, type StackOptions } from './case-stack';

/** The simulated SMS provider's account (a test double's credentials) and the number messages come from. */
const SMS_ACCOUNT = {
  accountSid: 'AC0c105e0de70000000000000000000002',
  authToken: `it-twilio-auth-${randomBytes(12).toString('hex')}`,
  from: '+15005550006',
};

const secret = (): string => randomBytes(32).toString('base64url');

export type CustomerApp = 'messaging' | 'mini-app-backend';

export interface CustomerStackOptions extends StackOptions {
  /** Extra environment for messaging and the mini-app, applied over the stack's own. */
  customerEnv?: Partial<Record<CustomerApp, Record<string, string>>>;
}

interface CustomerInstance {
  name: string;
  app: CustomerApp;
  port: number;
  /** The process's environment for the ports of this moment (a port taken meanwhile changes URLs in it). */
  env: () => Record<string, string>;
  groups: [string, string][];
}

export class CustomerStack {
  readonly cases: CaseStack;
  sms!: SmsProvider;
  cardProcessor!: CardProcessor;
  /** The address messaging sends this run's email from. */
  readonly fromAddress: string;
  private readonly secrets = {
    miniappOrchestratorToken: secret(),
    miniappMessagingToken: secret(),
    otpKey: secret(),
    processorStateKey: secret(),
    cardProcessorApiKey: secret(),
  };
  private messaging!: CustomerInstance;
  private miniapp!: CustomerInstance;
  private readonly log: (line: string) => void;

  constructor(private readonly options: CustomerStackOptions) {
    this.cases = new CaseStack({
      ...options,
      apiPrincipals: { ...options.apiPrincipals, 'mini-app': this.secrets.miniappOrchestratorToken },
    });
    this.fromAddress = `no-reply@it-${this.cases.runId}.closeout.example`;
    this.log = options.log ?? (() => undefined);
  }

  get runId(): string {
    return this.cases.runId;
  }

  /** Where customers reach the mini-app (MINIAPP_PUBLIC_BASE_URL, and messaging's MINIAPP_BASE_URL). */
  get miniappUrl(): string {
    return `http://127.0.0.1:${this.miniapp.port}`;
  }

  get messagingUrl(): string {
    return `http://127.0.0.1:${this.messaging.port}`;
  }

  get smsProviderUrl(): string {
    return this.sms.url;
  }

  async start(): Promise<this> {
    const { env } = this.options;
    const run = this.runId;
    await this.cases.start();

    this.messaging = {
      name: `it-${run}-messaging`,
      app: 'messaging',
      port: await freePort(),
      env: () => this.messagingEnv(),
      groups: [
        ['customer-contact', Topics.customerContact],
        ['outreach-requested', Topics.outreachRequested],
      ],
    };
    this.miniapp = {
      name: `it-${run}-mini-app-backend`,
      app: 'mini-app-backend',
      port: await freePort(),
      env: () => this.miniappEnv(),
      groups: [
        ['outreach-event', Topics.outreachEvent],
        ['case-state', Topics.caseState],
        ['customer-facts', Topics.customerFacts],
      ],
    };
    // Customers' replies (none in these tests) would go to messaging's webhook; statuses follow each send's callback.
    this.sms = await startSmsProvider({
      account: {
        accountSid: SMS_ACCOUNT.accountSid,
        authToken: SMS_ACCOUNT.authToken,
        numbers: [SMS_ACCOUNT.from],
      },
      inboundWebhookUrl: `${this.messagingUrl}/webhooks/sms/twilio`,
      keywordOptOut: false,
    });
    // The processor sends customers back to the mini-app only.
    this.cardProcessor = await startCardProcessor({
      host: '127.0.0.1',
      apiKey: this.secrets.cardProcessorApiKey,
      returnOrigins: [this.miniappUrl],
    });
    await positionGroupsAtEnd(
      kafkaConnectionFromEnv(env),
      [this.messaging, this.miniapp].flatMap((i) =>
        i.groups.map(([g, topic]) => ({ groupId: `${i.name}.${g}`, topic })),
      ),
    );
    // Both at once. Each knows the other's port from its environment: one that had to take another port (taken
    // meanwhile) makes the other start again on the final one — messaging's links point at the mini-app, and the
    // mini-app asks messaging for codes.
    const ports = { miniapp: this.miniapp.port, messaging: this.messaging.port };
    await Promise.all([this.boot(this.miniapp), this.boot(this.messaging)]);
    if (this.miniapp.port !== ports.miniapp) {
      await this.stop(this.messaging);
      await this.boot(this.messaging);
    }
    if (this.messaging.port !== ports.messaging) {
      await this.stop(this.miniapp);
      await this.boot(this.miniapp);
    }
    return this;
  }

  async close(): Promise<void> {
    for (const i of [this.messaging, this.miniapp]) if (i) await this.stop(i);
    await Promise.all([this.sms?.close(), this.cardProcessor?.close()]);
    await this.cases.close();
    // The run's contact points (messaging) and sessions and documents (mini-app) do not outlive the run.
    const db = new Client({ connectionString: process.env['DATABASE_URL'] });
    await db.connect();
    try {
      for (const schema of [`msg_it_${this.runId}`, `miniapp_it_${this.runId}`])
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await db.end();
    }
  }

  /**
   * A case as the mini-app sees it: the orchestrator's eligible actions with the mini-app's own token (what the
   * actions page shows).
   */
  async eligibleActions(caseId: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.cases.orchestratorUrl}/v1/cases/${caseId}/eligible-actions`, {
      headers: { authorization: `Bearer ${this.secrets.miniappOrchestratorToken}` },
    });
    return { status: res.status, body: await res.json() };
  }

  /** The processor's record of a token: what the mini-app looks up before it publishes (never the card number). */
  async processorToken(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.cardProcessor.url}/v1/tokens/${encodeURIComponent(token)}`, {
      headers: { authorization: `Bearer ${this.secrets.cardProcessorApiKey}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  private messagingEnv(): Record<string, string> {
    const { env } = this.options;
    return {
      ...env,
      LOG_LEVEL: 'warn',
      SERVICE_NAME: this.messaging.name,
      MESSAGING_DB_SCHEMA: `msg_it_${this.runId}`,
      MINIAPP_BASE_URL: this.miniappUrl,
      MESSAGING_PUBLIC_BASE_URL: this.messagingUrl,
      MESSAGING_INTERNAL_API_TOKENS: `mini-app=${this.secrets.miniappMessagingToken}`,
      MESSAGING_WORKER_POLL_MS: '100',
      // Requests of other runs sharing the topic find no contact here: they wait, silently, past the run's end.
      MESSAGING_CONTACT_WAIT_MS: '3600000',
      SMTP_FROM_ADDRESS: this.fromAddress,
      SMTP_FROM_NAME: 'Closeout Bank',
      SMTP_TLS_MODE: 'none',
      TWILIO_ACCOUNT_SID: SMS_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: SMS_ACCOUNT.authToken,
      TWILIO_FROM: SMS_ACCOUNT.from,
      TWILIO_BASE_URL: this.sms.url,
      TWILIO_STATUS_CALLBACK_URL: `${this.messagingUrl}/webhooks/sms/twilio`,
      ...this.extraEnv('messaging'),
    };
  }

  private miniappEnv(): Record<string, string> {
    const { env } = this.options;
    return {
      ...env,
      LOG_LEVEL: 'warn',
      SERVICE_NAME: this.miniapp.name,
      MINIAPP_DB_SCHEMA: `miniapp_it_${this.runId}`,
      MINIAPP_PUBLIC_BASE_URL: this.miniappUrl,
      ORCHESTRATOR_URL: this.cases.orchestratorUrl,
      MINIAPP_ORCHESTRATOR_TOKEN: this.secrets.miniappOrchestratorToken,
      MESSAGING_INTERNAL_URL: this.messagingUrl,
      MINIAPP_MESSAGING_TOKEN: this.secrets.miniappMessagingToken,
      MINIAPP_OTP_KEY: this.secrets.otpKey,
      MINIAPP_PROCESSOR_STATE_KEY: this.secrets.processorStateKey,
      CARD_PROCESSOR_URL: this.cardProcessor.url,
      CARD_PROCESSOR_API_KEY: this.secrets.cardProcessorApiKey,
      // clamd from the devstack's environment (CLAMAV_HOST, CLAMAV_PORT): uploads are scanned.
      ...this.extraEnv('mini-app-backend'),
    };
  }

  private extraEnv(app: CustomerApp): Record<string, string> {
    return this.options.customerEnv?.[app] ?? {};
  }

  private async boot(i: CustomerInstance): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      startService(i.name, i.port, i.env(), { app: i.app });
      try {
        await waitUntilReady(i.name, i.port, 120_000);
        break;
      } catch (error) {
        // As CaseStack.boot: a port another suite took meanwhile is a reason to take another, not to fail.
        const taken = readFileSync(logFile(i.name), 'utf8').includes(
          `EADDRINUSE: address already in use 0.0.0.0:${i.port}`,
        );
        if (!taken || attempt === 3) throw error;
        this.log(`${i.app}: port ${i.port} was taken meanwhile; booting on another`);
        i.port = await freePort();
        if (i === this.miniapp) await this.restartCardProcessor();
      }
    }
    this.log(`${i.app} up on :${i.port} (${logFile(i.name)})`);
  }

  /** The processor again on its own port, sending customers back to the mini-app's new origin. */
  private async restartCardProcessor(): Promise<void> {
    const port = this.cardProcessor.port;
    await this.cardProcessor.close();
    this.cardProcessor = await startCardProcessor({
      host: '127.0.0.1',
      port,
      apiKey: this.secrets.cardProcessorApiKey,
      returnOrigins: [this.miniappUrl],
    });
  }

  private async stop(i: CustomerInstance): Promise<void> {
    if (stopService(i.name, 'SIGTERM') && !(await waitForExit(i.name, 15_000))) {
      stopService(i.name, 'SIGKILL');
      await waitForExit(i.name, 5_000);
    }
  }
}
