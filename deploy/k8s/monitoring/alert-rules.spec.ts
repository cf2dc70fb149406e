import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The alert rules name metrics by string; a metric renamed in the code would leave an alert that never fires.
// Checked on the files, so neither Prometheus nor a cluster is needed.

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const repoRoot = join(__dirname, '..', '..', '..');
// Every PrometheusRule here (generated from deploy/prometheus/rules): recording rules and alerts.
const all: Rule[] = readdirSync(__dirname)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .map((f) => parse(readFileSync(join(__dirname, f), 'utf8')) as { kind: string; spec: { groups?: { rules: Rule[] }[] } })
  .filter((m) => m.kind === 'PrometheusRule')
  .flatMap((m) => m.spec.groups ?? [])
  .flatMap((g) => g.rules);
const rules = all.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
/** A histogram's series are its name with _bucket, _count or _sum. */
const family = (metric: string): string => metric.replace(/_(bucket|count|sum)$/, '');

/** The source of every service and lib, where metrics are registered. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    if (e.isDirectory()) return sources(join(dir, e.name));
    return /\.ts$/.test(e.name) && !/spec\.ts$/.test(e.name) ? [readFileSync(join(dir, e.name), 'utf8')] : [];
  });
}
const code = [...sources(join(repoRoot, 'apps')), ...sources(join(repoRoot, 'libs'))].join('\n');

describe('deploy/k8s/monitoring alert rules', () => {
  it('include the outbox and Kafka consumer alerts an operator relies on', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'CloseoutOutboxMessagesSetAside',
        'CloseoutOutboxNotDraining',
        'CloseoutKafkaPartitionStuck',
      ]),
    );
  });

  it.each(all.map((r) => [r.alert ?? r.record, r] as const))('%s names only metrics the code registers', (_, rule) => {
    const metrics = rule.expr.match(/\bcloseout_[a-z_]+/g) ?? [];
    const recorded = rule.expr.match(/\bcloseout:[a-z_:0-9]+/g) ?? [];
    expect(metrics.length + recorded.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      const registered = code.includes(`'${metric}'`) || code.includes(`'${family(metric)}'`);
      expect({ metric, registered }).toEqual({ metric, registered: true });
    }
    for (const name of recorded)
      expect({ name, recorded: all.some((r) => r.record === name) }).toEqual({ name, recorded: true });
  });

  it.each(rules.map((r) => [r.alert, r] as const))(
    '%s has a severity, a summary and a runbook in the repo',
    (_, rule) => {
      expect(['page', 'ticket']).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary']).toEqual(expect.any(String));
      const [file, anchor] = (rule.annotations?.['runbook'] ?? '').split('#');
      const doc = readFileSync(join(repoRoot, file!), 'utf8');
      const headings = [...doc.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
      expect(headings).toContain(anchor);
    },
  );
});
