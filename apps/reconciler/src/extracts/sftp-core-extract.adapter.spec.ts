import { splitCsvLine } from './sftp-core-extract.adapter';

describe('splitCsvLine (the daily posting report)', () => {
  it('splits plain fields and unquotes RFC 4180 quoted ones', () => {
    expect(splitCsvLine('k-1,pay_1,500,GBP,2025-03-01T10:00:00.000Z,B-1,2')).toEqual(['k-1', 'pay_1', '500', 'GBP', '2025-03-01T10:00:00.000Z', 'B-1', '2']);
    expect(splitCsvLine('"a,key","say ""hi""",,GBP')).toEqual(['a,key', 'say "hi"', '', 'GBP']);
  });

  it('refuses an unterminated quote', () => {
    expect(splitCsvLine('"open,pay_1')).toBeNull();
  });
});
