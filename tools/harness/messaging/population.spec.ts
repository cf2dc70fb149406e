import { seededRandom } from '@closeout/simulators/shared';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { buildPopulation } from './population';

describe('the messaging harness population', () => {
  // The run id picks two digits of every phone number; a range outside the mobile blocks (0760…, 0700…) made a whole
  // run's phones invalid, so every request fell back to e-mail and the run tested no SMS or WhatsApp path at all.
  it.each(['2b34cf', '000000', '00003c', 'ffffff', '1a2b3c'])(
    'gives every customer of run %s a valid UK mobile number of their own',
    (run) => {
      const population = buildPopulation({
        n: 500,
        run,
        random: seededRandom(3),
        now: Date.UTC(2026, 11, 7, 12),
        emailDomain: 'harness.example',
      });
      const phones = population.customers.map((c) => c.phone);
      expect(new Set(phones).size).toBe(500);
      for (const phone of phones) {
        const parsed = parsePhoneNumberFromString(phone);
        expect({ phone, valid: parsed?.isValid(), type: parsed?.getType() }).toEqual({
          phone,
          valid: true,
          type: 'MOBILE',
        });
      }
    },
  );

  it('asks for SMS and WhatsApp as well as e-mail', () => {
    const population = buildPopulation({
      n: 500,
      run: '2b34cf',
      random: seededRandom(3),
      now: Date.UTC(2026, 11, 7, 12),
      emailDomain: 'harness.example',
    });
    const channels = new Set(population.requests.map((r) => r.channel));
    expect([...channels].sort()).toEqual(['EMAIL', 'SMS', 'WHATSAPP']);
  });
});
