import { twilioSignature } from './signature';

describe('twilioSignature', () => {
  it("matches the example of Twilio's request-validation documentation, whatever the order of the fields", () => {
    const form: [string, string][] = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+14158675309'],
      ['Digits', '1234'],
      ['From', '+14158675309'],
      ['To', '+18005551212'],
    ];
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    expect(twilioSignature('12345', url, form)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature('12345', url, [...form].reverse())).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature('12346', url, form)).not.toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });
});
