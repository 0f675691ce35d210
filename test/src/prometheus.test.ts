import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwnProcess, freePort } from './helpers.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const STEPS = 1200;
const BATCH = 32;

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(port: number, expr: string): Promise<PromResult[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status: string; data: { result: PromResult[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('monitoring with a real Prometheus server', {
  skip: hasPrometheus ? false : 'prometheus is not installed (.ci/run installs it)',
}, () => {
  let dir = '';
  let prometheus: ChildProcess | undefined;
  let exporter: AwnProcess | undefined;
  let promPort = 0;
  let httpPort = 0;
  let snapshotPort = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-prom-'));
    [promPort, httpPort, snapshotPort] = [await freePort(), await freePort(), await freePort()];
    exporter = new AwnProcess([
      'metrics-exporter',
      '--host',
      '127.0.0.1',
      '--port',
      String(httpPort),
      '--listen',
      `tcp://127.0.0.1:${snapshotPort}`,
    ]);
    await writeFile(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: awn\n    static_configs:\n      - targets: ['127.0.0.1:${httpPort}']\n`,
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    await until('prometheus ready', async () =>
      (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined,
    );
    await until('exporter scraped', async () =>
      (await query(promPort, 'up{job="awn"}'))[0]?.value[1] === '1' ? true : undefined,
    );
  });

  after(async () => {
    prometheus?.kill('SIGTERM');
    exporter?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('during a 2-worker awn train, Prometheus sees every rank, the final total width and consistent sample counts', async () => {
    const out = join(dir, 'run');
    const run = new AwnProcess(
      [
        'train',
        '--config',
        'examples/doublemoon.json',
        '--steps',
        String(STEPS),
        '--workers',
        '2',
        '--out',
        out,
        '--metrics-endpoint',
        `tcp://127.0.0.1:${snapshotPort}`,
      ],
      { AWN_LOG_LEVEL: 'info' },
    );
    const r = await run.done(180_000);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));

    // The final snapshots reach Prometheus on its next scrape after the run.
    const widths = await until('final widths scraped', async () => {
      const rows = await query(promPort, 'last_over_time(awn_total_width{role="worker"}[10m])');
      return rows.length === 2 && rows.every((row) => Number(row.value[1]) === summary.totalWidth) ? rows : undefined;
    });
    assert.deepEqual(widths.map((w) => w.metric.rank).sort(), ['0', '1'], 'each rank has its series');

    const samples = await until('final sample counts scraped', async () => {
      const rows = await query(promPort, 'sum(last_over_time(awn_samples_total{role="worker"}[10m]))');
      return rows.length === 1 && Number(rows[0].value[1]) === STEPS * BATCH ? rows : undefined;
    });
    assert.equal(Number(samples[0].value[1]), STEPS * BATCH, 'Σ over ranks of samples = steps × global batch');

    const layers = await query(promPort, 'last_over_time(awn_layer_width{role="worker",rank="0"}[10m])');
    assert.deepEqual(
      layers.map((l) => Number(l.value[1])).sort((a, b) => a - b),
      [...summary.widths].sort((a: number, b: number) => a - b),
    );
    const phases = await query(promPort, 'sum by (phase) (last_over_time(awn_step_seconds_count{role="worker"}[10m]))');
    assert.deepEqual(phases.map((p) => p.metric.phase).sort(), ['allreduce', 'compute', 'data', 'update']);
    for (const p of phases)
      assert.equal(Number(p.value[1]), 2 * STEPS, `every step observed in phase ${p.metric.phase}`);
    const coordinator = await query(promPort, 'last_over_time(awn_build_info{role="coordinator"}[10m])');
    assert.equal(coordinator.length, 1, 'the coordinator reports too');

    // Logs: JSON lines; every line about a step also names the rank or the generation.
    const lines = r.stderr.split('\n').filter((l) => l.trim().startsWith('{'));
    assert.ok(lines.length > 5);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if ('step' in entry && entry.component === undefined && entry.msg !== 'checkpoint written') {
        assert.ok('generation' in entry || 'rank' in entry, `log line with a step but no rank/generation: ${line}`);
      }
    }
  });
});
