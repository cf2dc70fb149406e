/**
 * The messaging service's policy over time, in-process (its own AppModule, with a clock the test moves) against the
 * real Kafka, registry and PostgreSQL, the devstack's SMTP sink and simulated SMS (Twilio-compatible) and WhatsApp
 * (Cloud API) providers started here, which call the service's webhooks over HTTP: quiet hours deferring a send to the
 * morning, the frequency cap counted from the ledger's contact attempts, WhatsApp free-form text inside the 24-hour
 * window and the approved template outside it, signed and forged status webhooks, the verification handshake, and the
 * fallback to email after an SMS reported undelivered.
 *
 * What the service decided and published is read from its own schema (the send ledger and its outbox, which the relay
 * publishes): other services on the shared devstack may consume the same topics. Mails are counted by this run's
 * From address for the same reason.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { Topics, type OutreachEvent, type OutreachRequested } from '@closeout/contracts';
import { twilioSignature, type SmsProvider } from '@closeout/simulators/sms-provider';
import { hubSignature, type WhatsAppProvider } from '@closeout/simulators/whatsapp-provider';
import { formatDeadline } from './sends/send-worker';
import {
  mailTo,
  MINIAPP,
  MovableClock,
  newEmail,
  newPhone,
  settle,
  startMessagingUnderTest,
  until,
  type MessagingUnderTest,
} from './test-support/messaging-it';

const run = randomBytes(4).toString('hex');
const FROM = `no-reply-${run}@closeout.example`;
const ZONE = 'Europe/London';
const PURPOSE = 'servicing-collections';
const SMS_ACCOUNT = {
  accountSid: `AC${'cd'.repeat(16)}`,
  authToken: `token-${run}`,
  numbers: ['+15005550006'],
};
const WA = {
  accessToken: `wa-token-${run}`,
  appSecret: `wa-secret-${run}`,
  phoneNumberId: '106540352242922',
  verifyToken: `verify-${run}-0123456789`,
};
const APPROVED = 'failed_payment_recovery_v1';
const LINK = new RegExp(`^${MINIAPP}/l/[A-Za-z0-9_-]{43}$`);

/** Local midnight in the customers' zone, two days from now: the suite's day 0, moved through day by day. */
const day0 = DateTime.now().setZone(ZONE).plus({ days: 2 }).startOf('day');
const at = (day: number, hour: number, minute = 0): number =>
  day0.plus({ days: day }).set({ hour, minute }).toMillis();

interface SendRowView {
  status: string;
  channel: string;
  reason: string | null;
  next_due_at: Date | null;
  failed_channels: string[];
}

describe('messaging policy over time', () => {
  const clock = new MovableClock();
  let service: MessagingUnderTest;
  let sms: SmsProvider;
  let wa: WhatsAppProvider;
  let db: DataSource;
  let base: string;
  let customer: MessagingUnderTest['customer'];
  let outreach: MessagingUnderTest['outreach'];
  let publish: (request: OutreachRequested) => Promise<unknown>;

  beforeAll(async () => {
    clock.set(at(0, 12));
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-policy-it',
      from: FROM,
      smsAccount: SMS_ACCOUNT,
      timeZone: ZONE,
      purpose: PURPOSE,
      linkValidMs: 30 * 86_400_000,
      clock,
      whatsApp: { ...WA, templates: [APPROVED] },
      env: {
        // Requests of other runs sharing the topic find no contact here: they wait, silently, past this suite's end
        // (the clock runs days ahead).
        MESSAGING_CONTACT_WAIT_MS: String(60 * 86_400_000),
        MESSAGING_FREQUENCY_CAPS: `${PURPOSE}=7/7`,
        MESSAGING_FALLBACK_CHANNELS: 'EMAIL',
        WHATSAPP_APPROVED_TEMPLATES: JSON.stringify({
          'failed-payment-recovery.v1': { en: { name: APPROVED, language: 'en_GB' } },
        }),
      },
    });
    ({ sms, db, base, customer, outreach, publish } = service);
    wa = service.wa!;
  });

  afterAll(async () => {
    await service?.close();
  });

  /** The outreach.events the service wrote for a case, in order (its outbox, which the relay publishes). */
  async function eventsOf(caseId: string): Promise<OutreachEvent[]> {
    const rows: Array<{ value: OutreachEvent }> = await db.query(
      `SELECT value FROM outbox WHERE topic = $1 AND value->>'caseId' = $2 ORDER BY id`,
      [Topics.outreachEvent, caseId],
    );
    return rows.map((r) => r.value);
  }

  async function auditActionsOf(caseId: string): Promise<string[]> {
    const rows: Array<{ value: { action: string } }> = await db.query(
      `SELECT value FROM outbox WHERE topic = $1 AND value->>'caseId' = $2 ORDER BY id`,
      [Topics.auditEvent, caseId],
    );
    return rows.map((r) => r.value.action);
  }

  const eventWith = (caseId: string, match: (e: OutreachEvent) => boolean, what: string) =>
    until(what, async () => (await eventsOf(caseId)).find(match), 60_000);

  async function sendOf(outreachId: string): Promise<SendRowView> {
    const rows: SendRowView[] = await db.query(
      'SELECT status, channel, reason, next_due_at, failed_channels FROM send WHERE outreach_id = $1',
      [outreachId],
    );
    return rows[0]!;
  }

  it('defers a message due at 22:30 local (QUIET_HOURS) to 08:00 local the next day, and sends it once then', async () => {
    clock.set(at(0, 22, 30));
    const email = newEmail();
    const customerId = await customer({ email }, ['EMAIL']);
    const request = outreach(customerId, 'EMAIL');
    await publish(request);

    const deferred = await until('the send DEFERRED', async () => {
      const row = await sendOf(request.outreachId);
      return row?.status === 'DEFERRED' ? row : undefined;
    });
    expect(deferred).toMatchObject({ reason: 'QUIET_HOURS', channel: 'EMAIL' });
    expect(deferred.next_due_at?.getTime()).toBe(at(1, 8));
    await settle(1_500);
    expect(await mailTo(email, FROM)).toEqual([]);
    expect(await eventsOf(request.caseId)).toEqual([]);
    expect((await sendOf(request.outreachId)).status).toBe('DEFERRED');

    // 07:59 the next morning: still not due.
    clock.set(at(1, 7, 59));
    await settle(1_000);
    expect((await sendOf(request.outreachId)).status).toBe('DEFERRED');

    clock.set(at(1, 8));
    const sent = await eventWith(request.caseId, (e) => e.status === 'SENT', 'outreach.event SENT');
    expect(sent).toMatchObject({ channel: 'EMAIL', outreachId: request.outreachId, reason: null });
    expect(sent.occurredAt).toBeGreaterThanOrEqual(at(1, 8));
    const mails = await until('the mail in the SMTP sink', async () => {
      const found = await mailTo(email, FROM);
      return found.length > 0 ? found : undefined;
    });
    await settle(1_000);
    expect(await mailTo(email, FROM)).toHaveLength(1);
    expect(sent.providerRef).toBe(mails[0]!.headers['message-id']?.[0]);
    expect((await eventsOf(request.caseId)).map((e) => e.status)).toEqual(['SENT']);
    expect(await auditActionsOf(request.caseId)).toEqual([
      'outreach.received',
      'outreach.deferred',
      'outreach.sent',
    ]);
  });

  it('suppresses the 8th attempt in 7 days for the purpose (SUPPRESSED_FREQUENCY_CAP), counted from the ledger across a restart', async () => {
    const email = newEmail();
    const customerId = await customer({ email }, ['EMAIL']);
    // Seven sends, one a day at 10:00 local, days 1 to 7.
    for (let day = 1; day <= 7; day++) {
      clock.set(at(day, 10));
      const request = outreach(customerId, 'EMAIL');
      await publish(request);
      await eventWith(request.caseId, (e) => e.status === 'SENT', `send ${day} SENT`);
    }
    const attempts: Array<{ n: string }> = await db.query(
      'SELECT count(*) AS n FROM contact_attempt WHERE customer_id = $1 AND purpose = $2',
      [customerId, PURPOSE],
    );
    expect(Number(attempts[0]!.n)).toBe(7);

    // The count is the ledger's, not the process's: a restarted service still holds the 8th back.
    await service.restart();
    db = service.db;

    clock.set(at(7, 11));
    const eighth = outreach(customerId, 'EMAIL');
    await publish(eighth);
    const suppressed = await eventWith(eighth.caseId, (e) => e.status === 'SUPPRESSED', 'the 8th SUPPRESSED');
    expect(suppressed).toMatchObject({
      channel: 'EMAIL',
      reason: 'SUPPRESSED_FREQUENCY_CAP',
      providerRef: null,
    });
    expect(await sendOf(eighth.outreachId)).toMatchObject({
      status: 'SUPPRESSED',
      reason: 'SUPPRESSED_FREQUENCY_CAP',
    });
    await settle(1_000);
    expect(await mailTo(email, FROM)).toHaveLength(7);

    // A week after the first (day 8, 10:30), it has left the rolling window: one more may go.
    clock.set(at(8, 10, 30));
    const ninth = outreach(customerId, 'EMAIL');
    await publish(ninth);
    await eventWith(ninth.caseId, (e) => e.status === 'SENT', 'the 9th SENT');
    expect(
      await until('the 8th mail', async () => {
        const found = await mailTo(email, FROM);
        return found.length === 8 ? found : undefined;
      }),
    ).toHaveLength(8);
  }, 120_000);

  describe('WhatsApp through the simulated Cloud API', () => {
    const phone = newPhone();
    const waId = phone.slice(1);
    let customerId: string;
    const webhook = () => `${base}/webhooks/whatsapp/whatsapp-cloud`;

    beforeAll(async () => {
      clock.set(at(9, 10));
      customerId = await customer({ phone }, ['WHATSAPP']);
    });

    it('inside 24 h of the customer writing: free-form text, reported DELIVERED by the signed status webhooks', async () => {
      await wa.customerMessage(phone, 'Hello, I got your letter');
      await until('the inbound message recorded', async () => {
        const rows: Array<{ last_inbound_at: Date }> = await db.query(
          'SELECT last_inbound_at FROM whatsapp_inbound WHERE customer_id = $1',
          [customerId],
        );
        return rows[0];
      });
      const request = outreach(customerId, 'WHATSAPP');
      await publish(request);

      const delivered = await eventWith(
        request.caseId,
        (e) => e.status === 'DELIVERED',
        'outreach.event DELIVERED',
      );
      const journal = wa.journal().filter((m) => m.waId === waId);
      expect(journal).toHaveLength(1);
      expect(journal[0]).toMatchObject({ type: 'text', template: null });
      expect(journal[0]!.text).toMatch(/did not go through\. Pay the missed amount/);
      expect(journal[0]!.text).toContain(`${MINIAPP}/l/`);
      expect(delivered).toMatchObject({ channel: 'WHATSAPP', providerRef: journal[0]!.id });
      expect((await eventsOf(request.caseId)).map((e) => e.status)).toEqual(['SENT', 'DELIVERED']);
      expect(await sendOf(request.outreachId)).toMatchObject({ status: 'DELIVERED', channel: 'WHATSAPP' });
      const statuses = wa
        .webhooks()
        .filter((w) => w.kind === 'status' && JSON.stringify(w.body).includes(journal[0]!.id));
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(new Set(statuses.map((w) => w.answeredStatus))).toEqual(new Set([204]));
    });

    it('outside 24 h: the approved template, with the link and the deadline as its parameters', async () => {
      clock.set(at(10, 11)); // 25 hours after the customer wrote
      const request = outreach(customerId, 'WHATSAPP');
      await publish(request);

      const sent = await eventWith(request.caseId, (e) => e.status === 'SENT', 'outreach.event SENT');
      const journal = wa.journal().filter((m) => m.waId === waId);
      expect(journal).toHaveLength(2);
      const entry = journal[1]!;
      expect(entry.type).toBe('template');
      expect(entry.template).toMatchObject({ name: APPROVED, language: 'en_GB' });
      const [link, deadline] = entry.template!.parameters;
      expect(link).toMatch(LINK);
      expect(deadline).toBe(formatDeadline(request.linkExpiresAt, 'en-GB', ZONE));
      expect(sent).toMatchObject({ channel: 'WHATSAPP', providerRef: entry.id });
      await eventWith(request.caseId, (e) => e.status === 'DELIVERED', 'outreach.event DELIVERED');
    });

    it('refuses a forged X-Hub-Signature-256 with 403 and an audit event, and moves nothing', async () => {
      const entry = wa.journal().filter((m) => m.waId === waId)[0]!;
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: WA.phoneNumberId },
                  statuses: [
                    {
                      id: entry.id,
                      status: 'failed',
                      timestamp: String(Math.floor(clock.now() / 1000)),
                      recipient_id: waId,
                      errors: [{ code: 131026, title: 'Message undeliverable' }],
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      const before = await db.query(`SELECT count(*) AS n FROM outbox WHERE topic = $1`, [
        Topics.outreachEvent,
      ]);
      const forged = await fetch(webhook(), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': hubSignature('not-the-secret', body),
        },
        body,
      });
      expect(forged.status).toBe(403);
      expect(forged.headers.get('content-type')).toContain('application/problem+json');
      const refusals: Array<{ value: { references: Record<string, string> } }> = await db.query(
        `SELECT value FROM outbox WHERE topic = $1 AND value->>'action' = 'messaging.webhook.refused'`,
        [Topics.auditEvent],
      );
      expect(refusals.map((r) => r.value.references)).toEqual([
        { channel: 'WHATSAPP', provider: 'whatsapp-cloud' },
      ]);
      await settle(500);
      expect(
        await db.query(`SELECT count(*) AS n FROM outbox WHERE topic = $1`, [Topics.outreachEvent]),
      ).toEqual(before);
    });

    it('answers the verification handshake with the challenge when the verify token matches, 403 otherwise', async () => {
      const verify = (token: string, challenge = '1158201444') =>
        fetch(
          `${webhook()}?${new URLSearchParams({
            'hub.mode': 'subscribe',
            'hub.verify_token': token,
            'hub.challenge': challenge,
          }).toString()}`,
        );
      const ok = await verify(WA.verifyToken);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await ok.text()).toBe('1158201444');

      const wrong = await verify('a-guessed-token-0000');
      expect(wrong.status).toBe(403);
      expect(await wrong.text()).not.toContain('a-guessed-token');
      const markup = await verify(WA.verifyToken, '<b>hi</b>');
      expect(markup.status).toBe(403);
      expect(await markup.text()).not.toContain('<b>');
    });
  });

  it('falls back to email when the SMS is reported undelivered: FAILED on SMS, then SENT on EMAIL; a late repeat moves nothing', async () => {
    clock.set(at(10, 12));
    const phone = newPhone();
    const email = newEmail();
    const customerId = await customer({ phone, email }, ['SMS', 'EMAIL']);
    sms.addFaults({ mode: 'undeliverable', count: 1, match: { to: phone } });
    const request = outreach(customerId, 'SMS');
    await publish(request);

    const onEmail = await eventWith(
      request.caseId,
      (e) => e.status === 'SENT' && e.channel === 'EMAIL',
      'outreach.event SENT on EMAIL',
    );
    const entry = sms.journal().find((m) => m.to === phone)!;
    const events = await eventsOf(request.caseId);
    const failed = events.filter((e) => e.status === 'FAILED');
    expect(failed).toEqual([
      expect.objectContaining({
        channel: 'SMS',
        providerRef: entry.sid,
        reason: 'twilio reports UNDELIVERED (30003)',
        // Not final: the orchestrator must not send its next attempt beside this fallback.
        fallbackChannel: 'EMAIL',
      }),
    ]);
    const position = (eventId: string) => events.findIndex((e) => e.eventId === eventId);
    expect(position(failed[0]!.eventId)).toBeLessThan(position(onEmail.eventId));
    expect(events.filter((e) => e.channel === 'EMAIL').map((e) => e.status)).toEqual(['SENT']);
    expect(await sendOf(request.outreachId)).toMatchObject({
      status: 'SENT',
      channel: 'EMAIL',
      failed_channels: ['SMS'],
    });
    await until('the mail', async () => ((await mailTo(email, FROM)).length === 1 ? true : undefined));
    expect(await auditActionsOf(request.caseId)).toContain('outreach.channel-failed');

    // The provider repeats the report late: the send already fell back, so nothing moves and nothing is published.
    const report = await until('the undelivered callback', async () =>
      sms
        .webhooks()
        .find(
          (w) =>
            w.kind === 'status' &&
            w.params['MessageSid'] === entry.sid &&
            w.params['MessageStatus'] === 'undelivered',
        ),
    );
    const params = Object.entries(report.params);
    const again = await fetch(report.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(SMS_ACCOUNT.authToken, report.url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(again.status).toBe(204);
    await settle(1_000);
    expect(await eventsOf(request.caseId)).toHaveLength(events.length);
    expect((await sendOf(request.outreachId)).status).toBe('SENT');
    expect(sms.journal().filter((m) => m.to === phone)).toHaveLength(1);
    expect(await mailTo(email, FROM)).toHaveLength(1);
  });
});
