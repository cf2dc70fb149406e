import { loadConfig } from './load-config';
import { apiTokensSchema, parseApiTokens } from './api-tokens';
import { z } from 'zod';

describe('API token variables', () => {
  it('names a principal per token, with the sources it may publish for', () => {
    expect(
      parseApiTokens('billing-core=aaaaaaaaaaaaaaaa, gateway[billing-core|collections]=bbbbbbbbbbbbbbbb')
        .entries,
    ).toEqual([
      { principal: { id: 'billing-core', sources: ['billing-core'] }, token: 'aaaaaaaaaaaaaaaa' },
      { principal: { id: 'gateway', sources: ['billing-core', 'collections'] }, token: 'bbbbbbbbbbbbbbbb' },
    ]);
  });

  it.each([
    ['', 'at least one'],
    ['aaaaaaaaaaaaaaaa', 'principal=token'],
    ['x=short', '16–512'],
    ['bad id=aaaaaaaaaaaaaaaa', 'principal must be'],
    ['p[]=aaaaaaaaaaaaaaaa', 'each source'],
    ['p=aaaaaaaaaaaaaaaa,q=aaaaaaaaaaaaaaaa', "repeats another entry's token"],
  ])('refuses %p (%s) without echoing the token', (raw, rule) => {
    const { problem } = parseApiTokens(raw);
    expect(problem).toContain(rule);
    expect(problem).not.toContain('aaaaaaaaaaaaaaaa');
  });

  it('fails config loading with the variable name', () => {
    expect(() => loadConfig(z.object({ API_TOKENS: apiTokensSchema }), { API_TOKENS: 'nope' })).toThrow(
      /API_TOKENS/,
    );
  });
});
