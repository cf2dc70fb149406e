import { parseApiTokens } from '@closeout/config';
import { BearerAuth } from './bearer-auth';

describe('BearerAuth', () => {
  const auth = new BearerAuth(
    parseApiTokens('agent-7=tok-agent-seven-0001,billing[billing|cards]=tok-billing-00000001').entries!,
  );

  it('names the principal of a known token', () => {
    expect(auth.authenticate('Bearer tok-agent-seven-0001')).toEqual({ id: 'agent-7', sources: ['agent-7'] });
    expect(auth.authenticate('Bearer tok-billing-00000001')?.sources).toEqual(['billing', 'cards']);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer tok-agent-seven-0002',
    'Basic dG9r',
    `Bearer ${'x'.repeat(2000)}`,
    'Bearer tok-agent-seven-0001 ',
  ])('refuses %p', (header) => {
    expect(auth.authenticate(header)).toBeUndefined();
  });
});
