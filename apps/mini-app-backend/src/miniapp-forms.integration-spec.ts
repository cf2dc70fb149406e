/**
 * The mini-app as main.ts wires it (the action forms, the document store, clamd from the devstack) on the devstack's
 * PostgreSQL, Kafka and registry, with the simulated card processor started in-process and the orchestrator's and
 * messaging's APIs as local stand-ins. A browser without JavaScript (FormBrowser: cookies, links, meta refresh, HTML
 * forms, SameSite=Strict as Chromium sends it) goes through the real routes: a card update over the processor's
 * hosted page and back, leaving no card number anywhere; uploads refused by content and by clamd; a clean kyc-refresh
 * document with its attestation, served back only to the session; known facts arriving on customer.facts.v1.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Topics } from '@closeout/contracts';
import { EventPublisher } from '@closeout/kafka';
import { findPans, hashKnownFact } from '@closeout/privacy';
import { startCardProcessor, type CardProcessor } from '@closeout/simulators/card-processor';
import type { EligibleActions } from './clients/orchestrator.client';
import { ELF_BYTES, PDF_BYTES } from './actions/forms/testing/document-bytes';
import { linkTokenSha256 } from './links/link-token';
import { FormBrowser, type Page } from './test-support/form-browser';
import { startMiniAppUnderTest, type MiniAppUnderTest } from './test-support/miniapp-it';

jest.setTimeout(180_000);

const run = randomUUID().slice(0, 8);
const TEST_CARD = '4242424242424242';
const processorLog: string[] = [];
const logFile = process.env['LOG_FILE'];
const logFrom = logFile ? safeSize(logFile) : 0;
let mini: MiniAppUnderTest;
let processor: CardProcessor;

function safeSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  if (!process.env['CLAMAV_HOST'])
    throw new Error('CLAMAV_HOST is not set: eval "$(tools/devstack/devstack env)"');
  const apiKey = `cp-${randomUUID()}`;
  mini = await startMiniAppUnderTest(run, async (base) => {
    processor = await startCardProcessor({
      apiKey,
      returnOrigins: [base],
      log: (line) => processorLog.push(line),
    });
    return {
      CARD_PROCESSOR_URL: processor.url,
      CARD_PROCESSOR_API_KEY: apiKey,
      MINIAPP_PROCESSOR_STATE_KEY: randomBytes(32).toString('hex'),
      CLAMAV_HOST: process.env['CLAMAV_HOST']!,
      ...(process.env['CLAMAV_PORT'] ? { CLAMAV_PORT: process.env['CLAMAV_PORT'] } : {}),
    };
  });
});

afterAll(async () => {
  await mini?.close();
  await processor?.close();
});

interface OutboxRow {
  topic: string;
  value: Record<string, unknown>;
}
const outbox = async (): Promise<OutboxRow[]> => mini.db.query(`SELECT topic, value FROM outbox ORDER BY id`);
const actionsOf = async (caseId: string): Promise<OutboxRow[]> =>
  (await outbox()).filter((r) => r.topic === 'miniapp.action.v1' && r.value['caseId'] === caseId);
const auditsOf = async (caseId: string, action: string): Promise<Array<Record<string, unknown>>> =>
  (await outbox())
    .filter(
      (r) => r.topic === 'audit.event.v1' && r.value['caseId'] === caseId && r.value['action'] === action,
    )
    .map((r) => r.value);

function eligible(
  caseId: string,
  workflowId: string,
  method: EligibleActions['identity']['method'],
  actions: EligibleActions['actions'],
): EligibleActions {
  return {
    caseId,
    workflowId,
    definitionVersion: '1',
    state: 'AWAITING_CUSTOMER',
    awaitingCustomer: true,
    identity: { method },
    amount: { amountMinor: 4999, currency: 'GBP' },
    actions,
  };
}

/** Opens the link as a customer would (the page, then Continue) and verifies with the code messaging was asked to send. */
async function openAndVerify(browser: FormBrowser, token: string): Promise<Page> {
  const link = await browser.open(`${mini.base}/l/${token}`);
  expect(link.status).toBe(200);
  const verify = await browser.submit(link, (action) => action.endsWith(`/l/${token}`));
  expect(verify.url).toBe(`${mini.base}/s/verify`);
  const sent = await browser.submit(verify, (action) => action.endsWith('/s/verify/send-code'));
  expect(sent.status).toBe(200);
  const code = (mini.codes.get(linkTokenSha256(token)) ?? []).at(-1);
  expect(code).toMatch(/^\d{6}$/);
  const actions = await browser.submit(sent, (action) => action.endsWith('/s/verify/code'), { code: code! });
  expect(actions.url).toBe(`${mini.base}/s/actions`);
  expect(actions.status).toBe(200);
  return actions;
}

/** Every row of every table of the mini-app's schema (the outbox included), as text. */
async function everyRow(): Promise<string[]> {
  const schema = ((await mini.db.query(`SELECT current_schema() AS s`)) as Array<{ s: string }>)[0]!.s;
  const tables = (await mini.db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
    [schema],
  )) as Array<{ table_name: string }>;
  const rows: string[] = [];
  for (const { table_name } of tables) {
    const found = (await mini.db.query(
      `SELECT row_to_json(t)::text AS row FROM "${schema}"."${table_name}" t`,
    )) as Array<{ row: string }>;
    rows.push(...found.map((r) => `${table_name}: ${r.row}`));
  }
  return rows;
}

describe('card update through the processor’s hosted page', () => {
  it('open → verify → the processor’s page → back (without the Strict cookie, bounced) → confirm: one miniapp.action with the token; no card number anywhere', async () => {
    const { token, caseId } = await mini.sentLink();
    mini.eligibility.set(
      caseId,
      eligible(caseId, 'failed-payment-recovery', 'OTP', [
        {
          actionId: 'update-card',
          action: 'card.update',
          label: 'Replace your card',
          identity: 'OTP',
          parameterRules: [],
        },
      ]),
    );
    const browser = new FormBrowser(mini.base);
    const actions = await openAndVerify(browser, token);
    // The CSP lets the customer leave for the processor (a link) and lets forms post there.
    expect(actions.headers.get('content-security-policy')).toContain(`form-action 'self' ${processor.url}`);

    const hosted = await browser.follow(actions, (href) => href.startsWith(`${processor.url}/hosted/card?`));
    expect(hosted.status).toBe(200);
    expect(hosted.body).toContain('name="cardNumber"');
    const year = String(new Date().getUTCFullYear() + 3);
    const back = await browser.submit(hosted, (action) => action.startsWith(processor.url), {
      cardNumber: TEST_CARD,
      expiryMonth: '12',
      expiryYear: year,
      cvc: '123',
    });
    // The processor's 303 back to us ended a cross-site chain: no cookie went, and the page asks again, same-site.
    const returned = back.hops.find((h) =>
      h.url.startsWith(`${mini.base}/s/actions/update-card?via=processor`),
    );
    expect(returned).toMatchObject({ status: 200, cookieSent: false });
    expect(back.body).toContain('http-equiv="refresh"');
    expect(back.headers.get('set-cookie')).toBeNull();
    expect(browser.sessionCookie).toBeDefined();
    const confirm = await browser.refresh(back);
    expect(confirm.hops.at(-1)).toMatchObject({ status: 200, cookieSent: true });
    expect(confirm.body).toContain('4242');
    const issued = processor.issued();
    expect(issued).toHaveLength(1);

    const done = await browser.submit(confirm, (action) => action.endsWith('/s/actions/update-card'));
    expect(done.url).toBe(`${mini.base}/s/done`);
    expect(done.status).toBe(200);
    // A resubmission of the confirm form publishes nothing more.
    await browser.submit(confirm, (action) => action.endsWith('/s/actions/update-card'));

    const published = await actionsOf(caseId);
    expect(published).toHaveLength(1);
    expect(published[0]!.value).toMatchObject({
      action: 'card.update',
      actionId: 'update-card',
      identityMethod: 'OTP',
      parameters: { cardToken: issued[0]!.token, expiryMonth: '12', expiryYear: year },
    });

    const rows = await everyRow();
    const log = logFile ? readFileSync(logFile).subarray(logFrom).toString('utf8') : '';
    const pans = {
      rows: rows.flatMap((r) => findPans(r).map((m) => r.slice(m.start, m.end))),
      log: findPans(log).length,
      processorLog: findPans(processorLog.join('\n')).length,
    };
    console.log(
      `card update: ${rows.length} rows of the miniapp schema (outbox included) and ${log.length} bytes of service log scanned; Luhn-valid numbers found: ${pans.rows.length} in rows, ${pans.log} in the log, ${pans.processorLog} in the processor's log`,
    );
    expect(pans).toEqual({ rows: [], log: 0, processorLog: 0 });
    expect(rows.join('\n')).not.toContain(TEST_CARD);
    // The processor's token never went into the service log either.
    expect(log).not.toContain(issued[0]!.token);
  });
});

describe('documents', () => {
  async function uploadPage(
    workflowId: string,
  ): Promise<{ browser: FormBrowser; page: Page; caseId: string }> {
    const { token, caseId } = await mini.sentLink({ workflowId });
    mini.eligibility.set(
      caseId,
      eligible(caseId, workflowId, 'OTP', [
        {
          actionId: 'upload-documents',
          action: 'document.upload',
          label: 'Send us a document',
          identity: 'OTP',
          parameterRules: [],
        },
      ]),
    );
    const browser = new FormBrowser(mini.base);
    return { browser, page: await openAndVerify(browser, token), caseId };
  }
  const documentRows = async (caseId: string): Promise<number> =>
    (
      (await mini.db.query(`SELECT count(*)::int AS n FROM document WHERE case_id = $1`, [caseId])) as Array<{
        n: number;
      }>
    )[0]!.n;

  it('refuses an executable renamed .pdf naming the field: nothing stored, nothing published', async () => {
    const { browser, page, caseId } = await uploadPage('income-verification');
    const refused = await browser.submit(page, (a) => a.endsWith('/s/actions/upload-documents'), {}, [
      { name: 'document', fileName: 'statement.pdf', type: 'application/pdf', bytes: ELF_BYTES },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('href="#');
    expect(refused.body).toMatch(/href="#[^"]*document"/);
    expect(await documentRows(caseId)).toBe(0);
    expect(await actionsOf(caseId)).toHaveLength(0);
  });

  it('refuses the clamd test signature inside a PDF as malware, audited as document.refused with the signature name', async () => {
    const { browser, page, caseId } = await uploadPage('income-verification');
    const marker = readFileSync(
      join(__dirname, '../../../tools/devstack/clamav/closeout-test-malware.txt'),
      'utf8',
    ).split('\n')[0]!;
    const infected = Buffer.concat([Buffer.from(`%PDF-1.4\n%${marker}\n`), PDF_BYTES.subarray(9)]);
    const refused = await browser.submit(page, (a) => a.endsWith('/s/actions/upload-documents'), {}, [
      { name: 'document', fileName: 'statement.pdf', type: 'application/pdf', bytes: infected },
    ]);
    expect(refused.status).toBe(422);
    expect(await documentRows(caseId)).toBe(0);
    expect(await actionsOf(caseId)).toHaveLength(0);
    const audited = await auditsOf(caseId, 'document.refused');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      outcome: 'DENIED',
      references: {
        rule: 'malware-detected',
        scanner: 'clamd',
        signature: expect.stringContaining('Closeout.Test.Malware'),
      },
    });
    expect(JSON.stringify(audited[0])).not.toContain(marker);
  });

  it('takes a clean kyc-refresh PDF with the signed attestation: one miniapp.action; the bytes only with the session', async () => {
    const { browser, page, caseId } = await uploadPage('kyc-refresh');
    expect(page.body).toContain('name="attestationName"');
    const done = await browser.submit(
      page,
      (a) => a.endsWith('/s/actions/upload-documents'),
      { attestationName: 'Ada Lovelace', attestationAgree: 'yes' },
      [{ name: 'document', fileName: 'passport.pdf', type: 'application/pdf', bytes: PDF_BYTES }],
    );
    expect(done.url).toBe(`${mini.base}/s/done`);
    const published = await actionsOf(caseId);
    expect(published).toHaveLength(1);
    const parameters = published[0]!.value['parameters'] as Record<string, string>;
    expect(parameters).toMatchObject({
      documentRef: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      attestationRef: expect.stringMatching(/^[0-9a-f-]{36}$/),
      scanStatus: 'CLEAN',
    });
    const ref = parameters['documentRef']!;
    const withSession = await fetch(`${mini.base}/s/documents/${ref}`, {
      headers: { cookie: browser.sessionCookie! },
    });
    expect(withSession.status).toBe(200);
    expect(Buffer.from(await withSession.arrayBuffer()).equals(PDF_BYTES)).toBe(true);
    const without = await fetch(`${mini.base}/s/documents/${ref}`);
    expect(without.status).toBe(401);
    expect(Buffer.from(await without.arrayBuffer()).includes(PDF_BYTES)).toBe(false);
  });

  it('answers an upload over MINIAPP_UPLOAD_MAX_BYTES 413, naming the field', async () => {
    const { browser, page, caseId } = await uploadPage('income-verification');
    const big = Buffer.concat([PDF_BYTES, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20)]);
    const refused = await browser.submit(page, (a) => a.endsWith('/s/actions/upload-documents'), {}, [
      { name: 'document', fileName: 'big.pdf', type: 'application/pdf', bytes: big },
    ]);
    expect(refused.status).toBe(413);
    expect(refused.body).toContain('document');
    expect(await documentRows(caseId)).toBe(0);
  });
});

describe('customer.facts.v1 through Kafka', () => {
  it('a CustomerFacts message on the topic becomes the known facts the check uses', async () => {
    const customerId = `cust-${run}-kafka-facts`;
    const facts = [
      await hashKnownFact('dateOfBirth', '1985-03-27'),
      await hashKnownFact('postalCode', 'SW1A 1AA'),
    ];
    await mini.app.get(EventPublisher).publish(
      Topics.customerFacts,
      { customerId },
      {
        eventId: `cf-${randomUUID()}`,
        occurredAt: Date.now(),
        correlationId: `corr-${run}`,
        causationId: null,
        customerId,
        sourceSystem: 'core-banking',
        sourceEventId: `src-${randomUUID()}`,
        facts,
      },
      { correlationId: `corr-${run}` },
    );
    const deadline = Date.now() + 60_000;
    let held: Array<{ name: string }> = [];
    while (Date.now() < deadline && held.length < 2) {
      held = await mini.db.query(`SELECT name FROM known_fact WHERE customer_id = $1 ORDER BY name`, [
        customerId,
      ]);
      if (held.length < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(held.map((h) => h.name)).toEqual(['dateOfBirth', 'postalCode']);

    const { token, caseId } = await mini.sentLink({ customerId });
    mini.eligibility.set(caseId, eligible(caseId, 'failed-payment-recovery', 'KNOWN_FACT', []));
    const browser = new FormBrowser(mini.base);
    const link = await browser.open(`${mini.base}/l/${token}`);
    const verify = await browser.submit(link, (a) => a.endsWith(`/l/${token}`));
    expect(verify.body).toContain('for="dateOfBirth"');
    const actions = await browser.submit(verify, (a) => a.endsWith('/s/verify/facts'), {
      dateOfBirth: '27/03/1985',
      postalCode: 'sw1a 1aa',
    });
    expect(actions.url).toBe(`${mini.base}/s/actions`);
    expect(actions.status).toBe(200);
  });
});
