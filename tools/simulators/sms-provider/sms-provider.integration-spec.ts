/**
 * TEST DOUBLE's own tests — the simulated Twilio-compatible SMS provider, spoken to over raw HTTP. Opens local
 * sockets, hence an integration spec; it needs none of the devstack services itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmsProvider, type SmsProvider, type SmsProviderOptions } from '.';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'sim-auth-token';
const BASIC = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;

const started: SmsProvider[] = [];
const start = async (options: Partial<SmsProviderOptions> = {}): Promise<SmsProvider> => {
  const sim = await startSmsProvider({
    account: { accountSid: ACCOUNT, authToken: TOKEN, numbers: ['+15005550006'] },
    statusStepMs: 10,
    ...options,
  });
  started.push(sim);
  return sim;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function create(sim: SmsProvider, form: Record<string, string>, authorization = BASIC) {
  const res = await fetch(`${sim.url}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const valid = { To: '+447700900123', From: '+15005550006', Body: 'hello' };

describe('simulated SMS provider', () => {
  it('answers 201 with a queued SM sid, and the lookup moves through sent to delivered', async () => {
    const sim = await start();
    const created = await create(sim, valid);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 'queued',
      to: valid.To,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fetched = await fetch(
      `${sim.url}/2010-04-01/Accounts/${ACCOUNT}/Messages/${String(created.body['sid'])}.json`,
      {
        headers: { Authorization: BASIC },
      },
    );
    expect(await fetched.json()).toMatchObject({ sid: created.body['sid'], status: 'delivered' });
  });

  it("answers Twilio's error JSON: 20003 without credentials, 21211 for an invalid To, 21603 without From", async () => {
    const sim = await start();
    expect((await create(sim, valid, 'Basic bm9wZTpub3Bl')).body).toMatchObject({ code: 20003, status: 401 });
    expect((await create(sim, { ...valid, To: '12' })).body).toEqual({
      code: 21211,
      message: "Invalid 'To' Phone Number",
      more_info: 'https://www.twilio.com/docs/errors/21211',
      status: 400,
    });
    expect((await create(sim, { To: valid.To, Body: 'x' })).body).toMatchObject({ code: 21603 });
    expect(sim.journal()).toHaveLength(0);
  });

  it('keeps a JSONL journal a restarted simulator reloads, and counts the same text sent twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sms-sim-'));
    try {
      const file = join(dir, 'journal.jsonl');
      const first = await start({ journalFile: file });
      await create(first, valid);
      await create(first, valid);
      expect(first.stats().duplicatePostings.total).toBe(1);
      await first.close();
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
      const second = await start({ journalFile: file });
      expect(second.journal().map((e) => e.sequence)).toEqual([1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is scripted over HTTP: POST /_sim/faults, then a 5xx that records nothing', async () => {
    const sim = await start();
    const added = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'error_5xx', count: 1 }),
    });
    expect(added.status).toBe(201);
    expect((await create(sim, valid)).body).toMatchObject({ code: 20500, status: 500 });
    expect((await create(sim, valid)).status).toBe(201);
    expect(sim.stats()).toMatchObject({ sends: 2, faultsInjected: { error_5xx: 1 } });
  });
});
