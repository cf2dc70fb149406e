import { join } from 'node:path';
import { runReadinessGate } from './readiness-gate.cli';

const domainFixtures = join(__dirname, '..', '..', 'domain', 'src');
const fixtures = join(domainFixtures, 'gate', 'fixtures');
const seedDir = join(__dirname, '..', '..', '..', '..', 'apps', 'orchestrator', 'workflows');

function run(...paths: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runReadinessGate(paths, (line) => lines.push(line));
  return { code, lines };
}

describe('readiness gate CLI', () => {
  it('prints READY for each seed workflow and exits 0', () => {
    const { code, lines } = run(seedDir);
    expect(code).toBe(0);
    expect(lines).toEqual([
      'READY address-update v1',
      'READY document-collection v1',
      'READY failed-payment-recovery v1',
      'READY kyc-refresh v1',
      'READY payment-plan-setup v1',
    ]);
  });

  it('prints REFUSED with one line per missing item and exits 1', () => {
    const { code, lines } = run(
      join(fixtures, 'ok', 'complete.yaml'),
      join(fixtures, 'not-ok', 'no-reconciliation-window.yaml'),
    );
    expect(code).toBe(1);
    expect(lines[0]).toBe('READY card-repayment v1');
    expect(lines[1]).toBe('REFUSED card-repayment v1');
    expect(lines[2]).toMatch(/^ {2}slo\.reconciliationWindow: /);
    expect(lines).toHaveLength(3);
  });

  it('prints the validation problems of a file that does not load and exits 1', () => {
    const file = join(domainFixtures, 'definition', 'fixtures', 'not-ok', 'unknown-channel.yaml');
    const { code, lines } = run(file);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `INVALID ${file}`,
      `  ${file}: outreach.channels[1]: must be one of SMS, EMAIL, WHATSAPP (got "FAX")`,
    ]);
  });

  it('exits 1 with usage when given nothing to check', () => {
    expect(run()).toEqual({ code: 1, lines: ['usage: readiness-gate <definition files or directories…>'] });
  });
});
