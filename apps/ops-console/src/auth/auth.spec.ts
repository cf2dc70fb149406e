import { parseOperators } from './operators';
import { hashPassword, verifyPassword, DUMMY_HASH, parseHash } from './passwords';
import { SessionStore, csrfMatches } from './sessions';
import { pairs, shown } from '../pages/views';

const cheap = { N: 1024, r: 8, p: 1 };

describe('operator passwords', () => {
  it('verifies the password a hash was made from, and no other', async () => {
    const hash = await hashPassword('correct horse battery', cheap);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', hash)).resolves.toBe(false);
    // Two hashes of one password differ (random salt).
    expect(await hashPassword('correct horse battery', cheap)).not.toBe(hash);
  });

  it('refuses malformed hashes and out-of-bounds costs; the dummy hash matches nothing', async () => {
    expect(parseHash('scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43))).toBeUndefined();
    expect(parseHash('bcrypt$2b$10$abc')).toBeUndefined();
    expect(parseHash(DUMMY_HASH)).toBeDefined();
    await expect(verifyPassword('', DUMMY_HASH)).resolves.toBe(false);
  });
});

describe('CONSOLE_OPERATORS', () => {
  const hash = `scrypt$1024$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;

  it('reads id:role:hash entries', () => {
    expect(parseOperators(`alice:agent:${hash}, bob:viewer:${hash}`).operators).toEqual([
      { id: 'alice', role: 'agent', passwordHash: hash },
      { id: 'bob', role: 'viewer', passwordHash: hash },
    ]);
  });

  it.each([
    ['', /at least one/],
    [`alice:admin:${hash}`, /role must be one of viewer, agent/],
    ['alice:agent:plaintext-password', /hash must be scrypt/],
    [`al ice:agent:${hash}`, /operator id/],
    [`alice:agent:${hash},alice:viewer:${hash}`, /listed twice/],
  ])('refuses %j naming the rule, never echoing the entry', (raw, rule) => {
    const { operators, problem } = parseOperators(raw);
    expect(operators).toBeUndefined();
    expect(problem).toMatch(rule);
    expect(problem).not.toContain('plaintext-password');
  });
});

describe('sessions', () => {
  it('ends a session after its idle time and after its maximum age, and forgets unknown or malformed ids', () => {
    const store = new SessionStore({ idleMs: 1_000, maxMs: 5_000 });
    const { id, session } = store.create('alice', 'agent', 0);
    expect(store.get(id, 900)?.operatorId).toBe('alice');
    expect(store.get(id, 1_800)).toBeDefined();
    expect(store.get(id, 3_000)).toBeUndefined();
    const again = store.create('alice', 'agent', 0);
    for (let t = 900; t < 5_000; t += 900) expect(store.get(again.id, t)).toBeDefined();
    expect(store.get(again.id, 5_400)).toBeUndefined();
    expect(store.get('x'.repeat(43))).toBeUndefined();
    expect(store.get('not an id')).toBeUndefined();
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, `${session.csrf.slice(0, -1)}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
  });
});

describe('what pages show', () => {
  it('masks contact points and card numbers in free text, and leaves out contact keys of contexts', () => {
    const text = shown('reached jane.doe@example.com on +447700900123 with card 4242 4242 4242 4242');
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('+447700900123');
    expect(text).not.toContain('4242 4242 4242 4242');
    const shownPairs = pairs({
      destination: 'core-banking-rest',
      email: 'jane.doe@example.com',
      nested: { phone: '+447700900123', errorClass: 'VALIDATION' },
    });
    expect(shownPairs).toEqual([
      { key: 'destination', value: 'core-banking-rest' },
      { key: 'nested.errorClass', value: 'VALIDATION' },
    ]);
  });
});
