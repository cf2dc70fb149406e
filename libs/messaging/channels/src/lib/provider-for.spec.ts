import { ProviderConfigError } from './provider-errors';
import { providerFor } from './provider-for';
import { TwilioSmsProvider } from './sms/twilio-sms.provider';
import { WhatsAppCloudProvider } from './whatsapp/whatsapp-cloud.provider';

describe('providerFor', () => {
  it('builds the SMS and WhatsApp providers from their configuration', () => {
    const sms = providerFor('SMS', {
      name: 'twilio-uk',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: 't',
      messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
    });
    expect(sms).toBeInstanceOf(TwilioSmsProvider);
    expect(sms).toMatchObject({ channel: 'SMS', name: 'twilio-uk' });
    const whatsapp = providerFor('WHATSAPP', { accessToken: 't', appSecret: 's', phoneNumberId: '1065' });
    expect(whatsapp).toBeInstanceOf(WhatsAppCloudProvider);
    expect(whatsapp).toMatchObject({ channel: 'WHATSAPP', name: 'whatsapp-cloud' });
  });

  it("refuses a configuration that is not the channel's provider's, naming the field", () => {
    expect(() => providerFor('SMS', { accessToken: 't', appSecret: 's', phoneNumberId: '1065' })).toThrow(
      ProviderConfigError,
    );
    expect(() => providerFor('WHATSAPP', { accessToken: 't', appSecret: 's' })).toThrow(
      expect.objectContaining({ field: 'phoneNumberId' }),
    );
  });
});
