/**
 * TEST DOUBLE's own tests — the simulated WhatsApp Cloud API, spoken to over raw HTTP. Opens local sockets, hence
 * an integration spec; it needs none of the devstack services itself.
 */
import { startWhatsAppProvider, type WhatsAppProvider, type WhatsAppProviderOptions } from '.';

const started: WhatsAppProvider[] = [];
const start = async (options: Partial<WhatsAppProviderOptions> = {}): Promise<WhatsAppProvider> => {
  const sim = await startWhatsAppProvider({
    accessToken: 'token',
    appSecret: 'secret',
    phoneNumberId: '1065',
    templates: ['payment_reminder'],
    ...options,
  });
  started.push(sim);
  return sim;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function post(sim: WhatsAppProvider, body: unknown, token = 'token', path = '/v23.0/1065/messages') {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const text = { messaging_product: 'whatsapp', to: '447700900123', type: 'text', text: { body: 'hi' } };
const template = {
  messaging_product: 'whatsapp',
  to: '447700900123',
  type: 'template',
  template: { name: 'payment_reminder', language: { code: 'en_GB' } },
};

describe('simulated WhatsApp Cloud API', () => {
  it('answers Graph errors: 190 for a bad token, 100 for a bad body, 132001 for an unknown template', async () => {
    const sim = await start();
    expect(await post(sim, template, 'wrong')).toMatchObject({ status: 401, body: { error: { code: 190 } } });
    expect(await post(sim, { ...template, messaging_product: 'sms' })).toMatchObject({
      status: 400,
      body: { error: { code: 100, error_data: { messaging_product: 'whatsapp' } } },
    });
    expect(
      await post(sim, { ...template, template: { name: 'nope', language: { code: 'en_GB' } } }),
    ).toMatchObject({ status: 400, body: { error: { code: 132001 } } });
    expect(sim.journal()).toHaveLength(0);
  });

  it('refuses free-form text until the customer writes, then takes it', async () => {
    const sim = await start();
    expect(await post(sim, text)).toMatchObject({ status: 400, body: { error: { code: 131047 } } });
    const inbound = await fetch(`${sim.url}/_sim/inbound`, {
      method: 'POST',
      body: JSON.stringify({ from: '447700900123', text: 'hello' }),
    });
    expect(inbound.status).toBe(201);
    const accepted = await post(sim, text);
    expect(accepted).toMatchObject({
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: '447700900123', wa_id: '447700900123' }],
        messages: [{ id: expect.stringMatching(/^wamid\./) }],
      },
    });
    expect(sim.stats().sendsByOutcome).toMatchObject({ outside_window: 1, accepted: 1 });
  });

  it('takes a template outside the window and journals it', async () => {
    const sim = await start();
    expect((await post(sim, template)).status).toBe(200);
    expect(sim.journal()).toEqual([
      expect.objectContaining({
        sequence: 1,
        type: 'template',
        waId: '447700900123',
        text: 'payment_reminder',
      }),
    ]);
  });
});
