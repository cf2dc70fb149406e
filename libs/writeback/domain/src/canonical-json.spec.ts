import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes numbers and strings as JSON does (RFC 8785 for these values)', () => {
    expect(canonicalJson({ n: 1e21, m: -0, s: 'é"\n', t: true, u: null })).toBe(
      '{"m":0,"n":1e+21,"s":"é\\"\\n","t":true,"u":null}',
    );
  });

  it('omits undefined object members, as JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('refuses values JSON cannot hold instead of silently dropping them', () => {
    expect(() => canonicalJson({ a: [undefined] })).toThrow('$.a[0] is a undefined');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('$.a is NaN');
    expect(() => canonicalJson({ a: 1n })).toThrow('$.a is a bigint');
  });
});
