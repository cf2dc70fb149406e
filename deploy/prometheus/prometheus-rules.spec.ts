import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generatedManifests, ruleFiles } from '../../tools/ops/prometheus-rule-manifests';

// The SLO and alert rules as Prometheus itself reads them: promtool checks every rule file and runs the unit tests in
// tests/*.test.yml (simulated series, expected alerts at given times: a burn-rate page on a sustained breach, none on
// a short blip). promtool comes with Debian's prometheus package, which tools/devstack/devstack up installs.

const repoRoot = join(__dirname, '..', '..');
const testsDir = join(__dirname, 'tests');
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.test.yml'))
  .sort()
  .map((f) => join(testsDir, f));

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: __dirname, encoding: 'utf8', timeout: 120_000 });
  if (run.error) {
    throw new Error(
      `promtool could not be run (${run.error.message}): install Debian's prometheus package (tools/devstack/devstack up does)`,
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = ruleFiles().flatMap(
  (f) => (parse(readFileSync(f, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups,
);
const rules = groups.flatMap((g) => g.rules);

describe('deploy/prometheus rules', () => {
  it('pass promtool check rules', () => {
    const { status, output } = promtool('check', 'rules', ...ruleFiles());
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pass their promtool unit tests (burn-rate alerts on a breach, none on a short blip; thresholds)', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const { status, output } = promtool('test', 'rules', ...testFiles);
    expect({ status, output }).toEqual({ status: 0, output: expect.not.stringContaining('FAILED') });
    expect(output.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  });

  it('have tests that cover every alert', () => {
    const tested = new Set(
      testFiles.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1])),
    );
    const slo = rules.filter((r) => r.alert && /BudgetBurn|StraightThrough/.test(r.alert)).map((r) => r.alert);
    const threshold = ['CloseoutWritebackOldestUnknownAging', 'CloseoutWritebackBacklogGrowing', 'CloseoutKafkaConsumerLagging', 'CloseoutPostedTwice'];
    for (const alert of [...slo, ...threshold]) expect({ alert, tested: tested.has(alert!) }).toEqual({ alert, tested: true });
  });

  it('alert with multiple windows and burn rates for writeback success and latency, as the SRE workbook does', () => {
    for (const name of ['CloseoutWritebackSuccessBudgetBurn', 'CloseoutWritebackLatencyBudgetBurn']) {
      const page = rules.find((r) => r.alert === name)!;
      expect(page.labels?.['severity']).toBe('page');
      expect(page.expr).toMatch(/ratio_rate1h > \(14\.4 \* [\d.]+\) and \S+ratio_rate5m > \(14\.4/);
      expect(page.expr).toMatch(/ratio_rate6h > \(6 \* [\d.]+\) and \S+ratio_rate30m > \(6/);
      const ticket = rules.find((r) => r.alert === `${name}Slow`)!;
      expect(ticket.labels?.['severity']).toBe('ticket');
      expect(ticket.expr).toMatch(/ratio_rate1d > \(3 \* [\d.]+\) and \S+ratio_rate2h > \(3/);
      expect(ticket.expr).toMatch(/ratio_rate3d > [\d.]+ and \S+ratio_rate6h > /);
    }
  });

  it("use the workflow definitions' writeback success target (99.5%)", () => {
    const dir = join(repoRoot, 'apps', 'orchestrator', 'workflows');
    const targets = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { slo: { writebackSuccessRate: number } }).slo.writebackSuccessRate);
    expect(new Set(targets)).toEqual(new Set([0.995]));
    const page = rules.find((r) => r.alert === 'CloseoutWritebackSuccessBudgetBurn')!;
    expect(page.expr).toContain('(14.4 * 0.005)');
  });

  it('are what the Kubernetes PrometheusRules in deploy/k8s/monitoring hold (generated, never written twice)', () => {
    for (const { path, content } of generatedManifests()) {
      expect({ path, content: readFileSync(path, 'utf8') }).toEqual({ path, content });
      const manifest = parse(content) as { kind: string; spec: unknown };
      expect(manifest.kind).toBe('PrometheusRule');
    }
    const specs = generatedManifests().flatMap((m) => (parse(m.content) as { spec: { groups: unknown[] } }).spec.groups);
    expect(specs).toEqual(groups);
  });
});
