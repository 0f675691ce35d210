import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedSeriesNames, METRICS } from '@awn/telemetry';
import { promqlNames } from './promql-names.js';
import { ROOT as REPO_ROOT, toolAvailable, yamlDocuments } from '../helpers.js';

const PROMETHEUS = join(REPO_ROOT, 'infra/prometheus');
const GRAFANA = join(REPO_ROOT, 'infra/grafana');
const known = exposedSeriesNames();

/** Asserts that an expression reads at least one metric and only metrics of the catalogue. */
function checkExpr(where: string, expr: string): string[] {
  const { metrics, unknownFunctions } = promqlNames(expr);
  assert.deepEqual(unknownFunctions, [], `${where}: unknown PromQL functions in ${expr}`);
  assert.ok(metrics.length > 0, `${where}: reads no metric: ${expr}`);
  for (const m of metrics) assert.ok(known.has(m), `${where}: '${m}' is not defined in @awn/telemetry (${expr})`);
  return metrics;
}

function promtool(args: string[]): void {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, `promtool ${args.join(' ')}:\n${run.stdout}${run.stderr}`);
}

const noPromtool = toolAvailable('promtool', ['--version']) ? undefined : 'promtool not installed';

test('promtool accepts the Prometheus config and the alert rules', { timeout: 120_000 }, (t) => {
  if (noPromtool) return t.skip(noPromtool);
  promtool(['check', 'config', 'prometheus.yml']);
  promtool(['check', 'rules', 'alerts.yml']);
});

test('alert rules fire when they should and only then (promtool test rules)', { timeout: 120_000 }, (t) => {
  if (noPromtool) return t.skip(noPromtool);
  promtool(['test', 'rules', 'alerts.test.yml']);
});

test('every alert reads only catalogue metrics and says what to do', () => {
  const [doc] = yamlDocuments(readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8')) as [any];
  const rules = doc.groups.flatMap((g: any) => g.rules);
  const names = rules.map((r: any) => r.alert);
  for (const required of ['AwnWorkerDown', 'AwnLossNaN', 'AwnLossRising', 'AwnNoStepProgress', 'AwnWidthExploding']) {
    assert.ok(names.includes(required), `alert ${required} exists`);
  }
  const tested = readFileSync(join(PROMETHEUS, 'alerts.test.yml'), 'utf8');
  for (const rule of rules) {
    checkExpr(`alert ${rule.alert}`, String(rule.expr));
    assert.match(rule.labels?.severity ?? '', /^(critical|warning|info)$/, `${rule.alert} has a severity`);
    assert.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert} has summary and description`);
    if (rule.labels.severity !== 'info') {
      assert.ok(tested.includes(`alertname: ${rule.alert}\n`), `${rule.alert} has a unit test in alerts.test.yml`);
    }
  }
  const [config] = yamlDocuments(readFileSync(join(PROMETHEUS, 'prometheus.yml'), 'utf8')) as [any];
  assert.deepEqual(config.rule_files, ['alerts.yml']);
  const job = config.scrape_configs.find((j: any) => j.job_name === 'awn');
  assert.equal(job.honor_labels, true, 'the exporter-set rank/role labels are kept');
  assert.deepEqual(job.static_configs[0].targets, ['127.0.0.1:9464']);
});

test('the Grafana dashboard queries only catalogue metrics and covers the training views', () => {
  const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'dashboards/awn-training.json'), 'utf8'));
  const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
  const ids = dashboard.panels.map((p: any) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const used = new Set<string>();
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, '${datasource}', `panel '${panel.title}' uses the datasource variable`);
    assert.ok(panel.targets?.length > 0, `panel '${panel.title}' has queries`);
    for (const target of panel.targets) {
      for (const m of checkExpr(`panel '${panel.title}'`, target.expr)) used.add(m);
    }
  }
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (variable.type === 'query') {
      const inner = /^label_values\((.*),\s*\w+\)$/.exec(query);
      assert.ok(inner, `variable ${variable.name} uses label_values`);
      checkExpr(`variable ${variable.name}`, inner[1]!);
    }
  }
  for (const annotation of dashboard.annotations.list) checkExpr(`annotation ${annotation.name}`, annotation.expr);

  // The views the dashboard exists for.
  for (const metric of [
    'awn_layer_width',
    'awn_total_width',
    'awn_loss',
    'awn_samples_total',
    'awn_step_seconds_bucket',
    'awn_allreduce_bytes_total',
    'awn_workers',
    'awn_generation',
  ]) {
    assert.ok(used.has(metric), `the dashboard shows ${metric}`);
  }
  const throughput = panels.find((p: any) => p.targets.some((t: any) => t.expr.includes('awn_samples_total')));
  assert.match(throughput.targets[0].expr, /sum by \(rank\) \(rate\(awn_samples_total/, 'samples/s is per rank');
  const phases = panels.find((p: any) => p.targets.some((t: any) => t.expr.includes('awn_step_seconds_bucket')));
  assert.match(phases.targets[0].expr, /by \(le, phase\)/, 'step time is split by phase');
  // Counters are only ever read through rate()/increase(): raw cumulative values mean nothing.
  for (const panel of panels) {
    for (const target of panel.targets) {
      for (const m of promqlNames(target.expr).metrics) {
        const base = m.replace(/_(bucket|sum|count)$/, '');
        const def =
          (METRICS as Record<string, { type: string }>)[base] ?? (METRICS as Record<string, { type: string }>)[m];
        if (def?.type === 'counter' || def?.type === 'histogram') {
          assert.match(
            target.expr,
            new RegExp(`(rate|increase)\\(${m}\\b`),
            `${m} in '${panel.title}' is read through rate()`,
          );
        }
      }
    }
  }
});

test('Grafana provisioning points at Prometheus and at the dashboards folder', () => {
  const [ds] = yamlDocuments(readFileSync(join(GRAFANA, 'provisioning/datasources/prometheus.yml'), 'utf8')) as [any];
  const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'dashboards/awn-training.json'), 'utf8'));
  const dsVar = dashboard.templating.list.find((v: any) => v.name === 'datasource');
  assert.equal(ds.datasources[0].type, 'prometheus');
  assert.equal(ds.datasources[0].uid, dsVar.current.value, 'the dashboard defaults to the provisioned datasource');
  const [providers] = yamlDocuments(readFileSync(join(GRAFANA, 'provisioning/dashboards/awn.yml'), 'utf8')) as [any];
  assert.equal(providers.providers[0].type, 'file');
  assert.match(providers.providers[0].options.path, /^\/var\/lib\/grafana\/dashboards/);
});

test('promqlNames separates metrics from functions, labels and variables', () => {
  assert.deepEqual(
    promqlNames(
      'histogram_quantile(0.9, sum by (le, phase) (rate(awn_step_seconds_bucket{rank=~"$rank"}[$__rate_interval]))) offset 5m',
    ),
    { metrics: ['awn_step_seconds_bucket'], unknownFunctions: [] },
  );
  assert.deepEqual(promqlNames('awn_loss{term="total"} != awn_loss and on (rank) awn_up == 1').metrics, [
    'awn_loss',
    'awn_loss',
    'awn_up',
  ]);
  assert.deepEqual(promqlNames('rate(awn_sample_total[5m])').metrics, ['awn_sample_total']);
  assert.deepEqual(promqlNames('ratee(awn_up)').unknownFunctions, ['ratee']);
});
