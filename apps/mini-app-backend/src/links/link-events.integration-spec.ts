/**
 * The mini-app's link table as messaging's outreach.events shape it, on the real PostgreSQL: a link that reaches the
 * mini-app only on a DELIVERED (messaging settled the send by lookup or receipt, no SENT went out) is honoured when it
 * is the case's only link, and never reopens or outranks a link the case already has.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { OutreachEvent } from '@closeout/contracts';
import { LINK_ARRIVAL_GRACE_MS } from './link.controller';
import { LinkEventsConsumer } from './link-events.consumer';
import { linkTokenSha256 } from './link-token';
import { startMiniAppUnderTest, type MiniAppUnderTest } from '../test-support/miniapp-it';

const run = randomBytes(4).toString('hex');

describe('links from outreach events', () => {
  let mini: MiniAppUnderTest;
  let consumer: LinkEventsConsumer;

  beforeAll(async () => {
    mini = await startMiniAppUnderTest(`links-${run}`);
    consumer = mini.app.get(LinkEventsConsumer);
  });
  afterAll(async () => {
    await mini?.close();
  });

  const event = (caseId: string, status: 'SENT' | 'DELIVERED', token: string, at: number): OutreachEvent =>
    ({
      eventId: `oe-${randomUUID()}`,
      occurredAt: at,
      correlationId: caseId,
      causationId: null,
      caseId,
      outreachId: `out-${caseId}-${at}`,
      channel: 'SMS',
      status,
      providerRef: null,
      reason: null,
      fallbackChannel: null,
      link: {
        tokenSha256: linkTokenSha256(token),
        customerId: `cust-${caseId}`,
        workflowId: 'failed-payment-recovery',
        purpose: 'servicing-collections',
        expiresAt: Date.now() + 3_600_000,
        locale: 'en',
      },
    }) as OutreachEvent;

  const statusOf = async (
    token: string,
  ): Promise<{ status: string; revoked_reason: string | null } | undefined> => {
    const rows: Array<{ status: string; revoked_reason: string | null }> = await mini.db.query(
      'SELECT status, revoked_reason FROM link WHERE token_sha256 = $1',
      [linkTokenSha256(token)],
    );
    return rows[0];
  };
  const token = () => randomBytes(32).toString('base64url');

  it('opens a link first heard of on a DELIVERED when it is the case only link, and the customer can use it', async () => {
    const caseId = `case-${run}-delivered`;
    const only = token();
    await consumer.recordOutreachEvents([event(caseId, 'DELIVERED', only, Date.now())]);
    expect(await statusOf(only)).toEqual({ status: 'OPEN', revoked_reason: null });
    const res = await fetch(`${mini.base}/l/${only}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: mini.base },
    });
    expect(res.status).toBe(303);
    expect(await statusOf(only)).toMatchObject({ status: 'USED' });
  });

  it('stores a late DELIVERED link of a case that has a link already as superseded, and leaves the other open', async () => {
    const caseId = `case-${run}-late`;
    const [older, newer] = [token(), token()];
    await consumer.recordOutreachEvents([event(caseId, 'SENT', newer, Date.now() - 1_000)]);
    // The older message's delivery comes in after the newer link was sent (its time is the delivery's).
    await consumer.recordOutreachEvents([event(caseId, 'DELIVERED', older, Date.now())]);
    expect(await statusOf(newer)).toEqual({ status: 'OPEN', revoked_reason: null });
    expect(await statusOf(older)).toEqual({ status: 'REVOKED', revoked_reason: 'superseded' });
  });

  it('changes nothing when the DELIVERED repeats a link its SENT already recorded', async () => {
    const caseId = `case-${run}-repeat`;
    const link = token();
    await consumer.recordOutreachEvents([event(caseId, 'SENT', link, Date.now() - 500)]);
    await consumer.recordOutreachEvents([event(caseId, 'DELIVERED', link, Date.now())]);
    expect(await statusOf(link)).toEqual({ status: 'OPEN', revoked_reason: null });
  });

  it('lets a link that is on its way arrive: a tap before its SENT is recorded still gets the page', async () => {
    const caseId = `case-${run}-early`;
    const early = token();
    const page = fetch(`${mini.base}/l/${early}`);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await consumer.recordOutreachEvents([event(caseId, 'SENT', early, Date.now())]);
    const res = await page;
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Continue');
  });

  it('refuses a link that never arrives once the grace has passed', async () => {
    const started = Date.now();
    const res = await fetch(`${mini.base}/l/${token()}`);
    expect(res.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LINK_ARRIVAL_GRACE_MS);
  });
});
