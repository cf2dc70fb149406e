/**
 * An email whose outcome the relay never told: the devstack's SMTP sink stores the message and cuts the connection
 * before answering the data (`drop_after_data`), so messaging cannot know whether it was taken. SMTP has no status
 * lookup, so the send stays unknown until MESSAGING_UNKNOWN_MAX_MS and then fails with OUTCOME_UNKNOWN — never sent a
 * second time, whatever the retries (the sink holds exactly one copy).
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import {
  afternoonZone,
  mailTo,
  newEmail,
  settle,
  startMessagingUnderTest,
  until,
  type MessagingUnderTest,
} from '../test-support/messaging-it';

const run = randomBytes(4).toString('hex');
const FROM = `no-reply-${run}@closeout.example`;
const ACCOUNT = { accountSid: `AC${'cd'.repeat(16)}`, authToken: `token-${run}`, numbers: ['+15005550006'] };
const sinkUrl = process.env['SMTP_SINK_URL'] ?? 'http://127.0.0.1:8025';

describe('an email whose outcome the SMTP relay never answered', () => {
  let service: MessagingUnderTest;
  let db: DataSource;

  beforeAll(async () => {
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-unknown-it',
      from: FROM,
      smsAccount: ACCOUNT,
      timeZone: afternoonZone(),
      observeEvents: true,
      env: {
        MESSAGING_LOOKUP_DELAY_MS: '500',
        MESSAGING_LOOKUP_VISIBILITY_MS: '1000',
        MESSAGING_UNKNOWN_MAX_MS: '4000',
        MESSAGING_RETRY_BASE_MS: '200',
      },
    });
    ({ db } = service);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('stays unknown, is never sent again, and ends FAILED with OUTCOME_UNKNOWN once the bound has passed', async () => {
    const email = newEmail();
    const res = await fetch(`${sinkUrl}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'drop_after_data', count: 1, match: { to: email } }),
    });
    expect(res.status).toBeLessThan(300);

    const customerId = await service.customer({ email }, ['EMAIL']);
    const request = service.outreach(customerId, 'EMAIL');
    await service.publish(request);

    // While unknown: the sink holds the message (it did take it), and messaging says nothing final yet.
    await until('the send to be unknown', async () => {
      const rows: Array<{ status: string }> = await db.query('SELECT status FROM send WHERE outreach_id = $1', [
        request.outreachId,
      ]);
      return rows[0]?.status === 'UNKNOWN' ? true : undefined;
    });
    expect(await mailTo(email, FROM)).toHaveLength(1);

    const failed = await until(
      'outreach.event FAILED',
      async () => (await service.eventsOf(request.caseId)).find((e) => e.status === 'FAILED'),
      20_000,
    );
    expect(failed).toMatchObject({ channel: 'EMAIL', reason: 'OUTCOME_UNKNOWN', fallbackChannel: null });

    // Nothing more is sent and nothing else is reported, however long we wait.
    await settle(1_500);
    expect(await mailTo(email, FROM)).toHaveLength(1);
    expect((await service.eventsOf(request.caseId)).map((e) => e.status)).toEqual(['FAILED']);
    const sends: Array<{ status: string; send_attempts: number }> = await db.query(
      'SELECT status, send_attempts FROM send WHERE outreach_id = $1',
      [request.outreachId],
    );
    expect(sends).toEqual([{ status: 'FAILED', send_attempts: 1 }]);
    const audit: Array<{ action: string }> = await db.query(
      `SELECT value->>'action' AS action FROM outbox WHERE topic = $1 AND value->>'caseId' = $2 ORDER BY id`,
      [Topics.auditEvent, request.caseId],
    );
    expect(audit.map((a) => a.action)).toContain('outreach.outcome-unknown');
  });
});
