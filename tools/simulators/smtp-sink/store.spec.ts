import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStore } from './store';

const mail = (to: string, subject: string) =>
  Buffer.from(
    [
      `From: no-reply@closeout.example`,
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject}@closeout.example>`,
      '',
      'body',
      '',
    ].join('\r\n'),
  );
const envelope = (to: string) => ({ mailFrom: 'no-reply@closeout.example', rcptTo: [to] });

describe('MessageStore listing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smtp-sink-store-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lists by recipient in arrival order, from messages stored before it opened and after', async () => {
    const before = await MessageStore.open(dir);
    await before.save(mail('a@example.com', 'one'), envelope('a@example.com'), true, 1_000);
    await before.save(mail('b@example.com', 'two'), envelope('b@example.com'), true, 2_000);

    const store = await MessageStore.open(dir);
    expect((await store.list({ to: 'A@example.com', limit: 10 })).messages.map((m) => m.subject)).toEqual([
      'one',
    ]);
    await store.save(mail('a@example.com', 'three'), envelope('a@example.com'), false, 3_000);
    expect((await store.list({ to: 'a@example.com', limit: 10 })).messages.map((m) => m.subject)).toEqual([
      'one',
      'three',
    ]);
    expect((await store.list({ limit: 2 })).messages.map((m) => m.subject)).toEqual(['two', 'three']);
    expect(await store.count()).toBe(3);
  });

  it('keeps a message saved while the first listing is still reading the directory', async () => {
    const seed = await MessageStore.open(dir);
    for (let i = 0; i < 20; i++)
      await seed.save(mail('c@example.com', `m${i}`), envelope('c@example.com'), true, 10_000 + i);
    const store = await MessageStore.open(dir);
    const [listed] = await Promise.all([
      store.list({ to: 'c@example.com', limit: 100 }),
      store.save(mail('c@example.com', 'late'), envelope('c@example.com'), true, 20_000),
    ]);
    expect(listed.messages.length).toBeGreaterThanOrEqual(20);
    expect(
      (await store.list({ to: 'c@example.com', limit: 100 })).messages.map((m) => m.subject),
    ).toHaveLength(21);
    expect((await store.list({ to: 'c@example.com', limit: 100 })).messages.at(-1)?.subject).toBe('late');
  });

  it('forgets everything on clear', async () => {
    const store = await MessageStore.open(dir);
    await store.save(mail('d@example.com', 'x'), envelope('d@example.com'), true, 1_000);
    expect(await store.count()).toBe(1);
    expect(await store.clear()).toBe(1);
    expect(await store.count()).toBe(0);
    expect((await store.list({ limit: 10 })).messages).toEqual([]);
  });
});
