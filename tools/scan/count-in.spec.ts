import { countIn, isOwnAddress } from './personal-data-scan';

describe('what the scan counts in a text', () => {
  it("does not count the institution's own addresses: a sender, an email's Message-ID kept as provider reference", () => {
    const own = ['closeout.example'];
    const providerRef = '"providerRef":"<out_case-7_1.1@main-job.closeout.example>"';
    expect(countIn(providerRef, own)).toEqual({ pans: 0, emails: 0, phones: 0 });
    expect(countIn('from no-reply@closeout.example', own).emails).toBe(0);
    // Without the setting, or at another domain, an address is counted.
    expect(countIn(providerRef).emails).toBe(1);
    expect(countIn('to jane.doe@example.com via no-reply@closeout.example', own).emails).toBe(1);
    // A look-alike domain is not ours.
    expect(isOwnAddress('x@evilcloseout.example', own)).toBe(false);
    expect(isOwnAddress('x@closeout.example.attacker.test', own)).toBe(false);
    expect(isOwnAddress('X@Mail.CLOSEOUT.example', own)).toBe(true);
  });
});
