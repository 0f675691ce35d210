#!/usr/bin/env node
// Telemetry overhead (issue 6): samples/s of `awn train --workers 2` with the metrics exporter and
// every process pushing snapshots, against the same run with --no-metrics. Runs alternate
// in ABBA order (off, on, on, off, …) so machine noise hits both alike; the ratio is of medians.
//   node bench/telemetry-overhead.bench.mjs [--rounds N] [--steps N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 3);
const steps = arg('steps', 600);
const dir = mkdtempSync(join(tmpdir(), 'awn-telemetry-bench-'));
const config = join(dir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'telemetry',
    seed: 1,
    data: { dataset: 'mnist', trainCount: 4000, testCount: 500 },
    model: { hiddenLayers: 2, initialRate: 0.004 },
    training: { steps, batchSize: 128, logEvery: 10 },
  }),
);

function run(metrics, i) {
  const out = join(dir, `${metrics ? 'on' : 'off'}-${i}`);
  const args = [
    join(root, 'apps/cli/dist/main.js'),
    'train',
    '--config',
    config,
    '--workers',
    '2',
    '--out',
    out,
    ...(metrics ? ['--metrics-port', '0'] : ['--no-metrics']),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, AWN_LOG_LEVEL: 'warn' } });
  if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`);
  // Throughput over the logged steps after warm-up, from metrics.jsonl.
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.step > 50);
  const rates = lines.map((l) => l.samplesPerSecond).sort((a, b) => a - b);
  return rates[rates.length >> 1];
}

const off = [];
const on = [];
try {
  for (let i = 0; i < rounds; i++) {
    // ABBA order: a drift in machine load over the run biases neither side.
    if (i % 2 === 0) {
      off.push(run(false, i));
      on.push(run(true, i));
    } else {
      on.push(run(true, i));
      off.push(run(false, i));
    }
    console.log(`round ${i + 1}: off ${off[i].toFixed(0)} samples/s, on ${on[i].toFixed(0)} samples/s`);
  }
  const ratio = median(on) / median(off);
  console.log(
    `\ntelemetry on / off, median samples/s: ${ratio.toFixed(3)} (${((1 - ratio) * 100).toFixed(1)} % slower; goal ≤ 2 %)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
