import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, runCommand, toolPath } from '@cqrs-shop/testing';

const here = join(repoRoot, 'infra/prometheus');
const alertsFile = join(here, 'alerts.yml');
const configFile = join(here, 'prometheus.yml');
const testsFile = join(here, 'alerts.test.yml');

/**
 * The shop's own series, as the services' /metrics contract names them, with their types (a
 * histogram is queried through its _bucket, _sum and _count series). The alerts may only use
 * these; the metrics e2e test checks that the services really export them.
 */
const SHOP_METRICS = {
  // command-service
  shop_commands_total: 'counter',
  shop_command_duration_seconds: 'histogram',
  shop_command_idempotent_replays_total: 'counter',
  shop_command_conflicts_total: 'counter',
  // outbox-relay
  shop_outbox_backlog_rows: 'gauge',
  shop_outbox_oldest_unpublished_age_seconds: 'gauge',
  shop_outbox_publish_lag_seconds: 'histogram',
  shop_outbox_published_total: 'counter',
  shop_outbox_publish_errors_total: 'counter',
  shop_outbox_relay_leader: 'gauge',
  shop_outbox_quarantine_rows: 'gauge',
  shop_outbox_quarantined_total: 'counter',
  // projector-order-history, projector-search, projector-analytics
  shop_projection_events_total: 'counter',
  shop_projection_apply_duration_seconds: 'histogram',
  shop_projection_lag_events: 'gauge',
  shop_projection_lag_seconds: 'gauge',
  shop_projection_lag_age_seconds: 'gauge',
  shop_projection_dead_letters_total: 'counter',
  shop_projection_store_errors_total: 'counter',
  shop_projection_store_available: 'gauge',
  shop_projection_recovering: 'gauge',
  shop_projection_parked_aggregates: 'gauge',
  shop_projection_rebuild_progress_ratio: 'gauge',
  shop_projection_rebuild_duration_seconds: 'gauge',
  // query-gateway
  shop_consistency_waits_total: 'counter',
  shop_consistency_wait_duration_seconds: 'histogram',
  shop_read_model_errors_total: 'counter',
} as const satisfies Record<string, 'counter' | 'gauge' | 'histogram'>;

/** The series names the contract allows in a query. */
const allowedSeries = new Set(
  Object.entries(SHOP_METRICS).flatMap(([name, type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
);

interface AlertingRule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: AlertingRule[] }[];
}

interface RuleTestFile {
  tests: {
    name: string;
    alert_rule_test?: {
      alertname: string;
      exp_alerts: { exp_labels?: Record<string, string> }[];
    }[];
  }[];
}

// The files are checked against promtool below; here they are only read.
const ruleFile = parse(readFileSync(alertsFile, 'utf8')) as RuleFile;
const rules = ruleFile.groups.flatMap((group) => group.rules);
const alertName = (rule: AlertingRule) => `${rule.alert ?? '(no name)'} (${rule.labels?.severity ?? '?'})`;

/** Runs promtool from this folder (rule files name their tests relative to it). */
const promtool = (binary: string, args: string[]) =>
  runCommand(binary, args, { cwd: here, timeoutMs: 30_000 });

describe('infra/prometheus with promtool', () => {
  let binary: string;

  beforeAll(() => {
    binary = toolPath('promtool');
  });

  it('accepts alerts.yml as a rule file, with every rule in it', async () => {
    const outcome = await promtool(binary, ['check', 'rules', alertsFile]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('accepts prometheus.yml as a configuration that loads alerts.yml', async () => {
    const outcome = await promtool(binary, ['check', 'config', configFile]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('SUCCESS: 1 rule files found');
    expect(outcome.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('passes the rule unit tests in alerts.test.yml', async () => {
    const outcome = await promtool(binary, ['test', 'rules', testsFile]);
    expect(outcome.stderr).toBe('');
    expect(outcome.stdout).not.toContain('FAILED');
    expect(outcome.stdout).toMatch(/^\s*SUCCESS$/m);
    expect(outcome.code).toBe(0);
  });

  it('rejects a rule file with a broken expression, naming the problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alerts-broken-'));
    try {
      const broken = join(dir, 'broken.yml');
      // rate() needs a range: `[5m]` is missing.
      await writeFile(
        broken,
        [
          'groups:',
          '  - name: broken',
          '    rules:',
          '      - alert: OutboxPublishErrors',
          '        expr: rate(shop_outbox_publish_errors_total) > 0',
          '        for: 5m',
          '',
        ].join('\n'),
      );
      const outcome = await promtool(binary, ['check', 'rules', broken]);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain('"OutboxPublishErrors": could not parse expression');
      expect(outcome.stderr).toContain('expected type range vector in call to function "rate"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('infra/prometheus/alerts.yml', () => {
  it('has alerting rules only', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.alert).toEqual(expect.any(String));
  });

  it.each(rules.map((rule) => [alertName(rule), rule] as const))(
    '%s waits a while, has a severity and tells the operator what happened and where to look',
    (_name, rule) => {
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.stringMatching(/\S/));
      // Every description points somewhere: an endpoint, a command or a log.
      expect(rule.annotations?.description).toMatch(/Look first at/);
    },
  );

  it('uses only shop_* series of the metrics contract', () => {
    const used = new Set(rules.flatMap((rule) => rule.expr?.match(/\bshop_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((name) => !allowedSeries.has(name))).toEqual([]);
  });

  it('has every alert, at each severity, fire in a test of alerts.test.yml', () => {
    const testFile = parse(readFileSync(testsFile, 'utf8')) as RuleTestFile;
    const fired = new Set(
      testFile.tests.flatMap((test) =>
        (test.alert_rule_test ?? []).flatMap((check) =>
          check.exp_alerts.map((alert) =>
            alertName({ alert: check.alertname, labels: alert.exp_labels ?? {} }),
          ),
        ),
      ),
    );
    expect(rules.map(alertName).filter((name) => !fired.has(name))).toEqual([]);
  });
});
