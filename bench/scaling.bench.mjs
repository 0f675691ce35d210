#!/usr/bin/env node
// Data-parallel scaling of `awn train` on this machine, measured in ONE run: the same config trained
// in one process (no sockets), with `--workers 1` (the distributed code path with a single rank: a
// coordinator and one worker process), with `--workers 2`, and, as a control, as two independent
// single-process runs at the same time ("2 × single": what two processes get from this machine
// with no communication at all). Prints a table and ratios; asserts nothing. Spawns the compiled CLI, so build first: npx tsc -b
//
//   node bench/scaling.bench.mjs [--quick] [--keep] [--cases=compute-bound,comm-bound] [--transports]
// --keep leaves the run directories (under os.tmpdir()/awn-scaling-*) for inspection.
//
// Scaling efficiency = samples/s with 2 workers / (2 × samples/s with 1 worker), weak scaling: every
// rank keeps the same local batch (`training.batchSize` is the GLOBAL batch, so the 2-worker run is
// given twice the 1-worker batch). The goal for the compute-bound case is ≥ 0.85.
//
// Cases:
//   compute-bound  MNIST MLP 784 → 1024 → 1024 → 10 (fixed widths, 1.86 M parameters), 256 samples
//                  per rank per step: large matMuls next to a 7.5 MB gradient all-reduce.
//   transformer    the adaptive `small` Transformer (examples/small.json), 8 × 128 tokens per rank.
//   comm-bound     Spiral MLP 2 → 16 → 16 → 2 (fixed widths, 354 parameters), 32 samples per rank:
//                  sub-millisecond compute, so every step pays the all-reduce's fixed latency.
//
// Throughput is read from metrics.jsonl (logEvery 1), not summary.json, so start-up, data loading,
// the first (warm-up) steps, the final evaluation and checkpoint do not count: samples/s = Σ samples /
// Σ step seconds over the measured steps. For distributed runs a step's seconds are the coordinator's
// wall time between two completed steps (samplesPerSecond of the line), and the phase columns are the
// per-rank timings (ranks[].computeMs, allreduceMs, updateMs) averaged over ranks and steps. Note that
// allreduceMs is measured from the moment a rank enters the all-reduce, so it includes waiting for
// the slower rank to finish its compute (skew), not only the transfer: the mean over steps of the
// smallest allreduceMs of the step (the last rank in) is reported as the collective's own cost. For the single-process run
// the seconds are trainStep's own (data + compute + update). Load averages before and after are
// printed: other processes on a shared 2-core machine distort the 2-process runs the most, which is
// why the "2 × single" control runs in the same benchmark (efficiency / ceiling isolates the cost
// of the all-reduce and synchronisation from what the machine itself allows two processes).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const keep = args.includes('--keep');
const casesArg = args.find((a) => a.startsWith('--cases='));
// --transports adds a `--workers 2` run whose same-host ring links use ZeroMQ (AWN_RING_STREAMS=0)
// instead of the default Unix streams (packages/collective/src/ring-link.ts), in the same run.
const transports = args.includes('--transports');
const CLI = fileURLToPath(new URL('../apps/cli/dist/main.js', import.meta.url));
if (!existsSync(CLI)) {
  console.error(`missing ${CLI}: build first (npx tsc -b)`);
  process.exit(1);
}

const CASES = [
  {
    name: 'compute-bound',
    description: 'MNIST MLP 784→1024→1024→10, 256/rank',
    localBatch: 256,
    steps: quick ? 50 : 100,
    warmup: quick ? 10 : 20,
    config: (batchSize, steps) => ({
      name: 'scaling-mnist',
      seed: 1,
      backend: 'wasm',
      data: { dataset: 'mnist' },
      model: { type: 'mlp', hiddenLayers: 2, adaptive: false, widths: [1024, 1024] },
      training: { steps, batchSize, optimizer: { type: 'adam', learningRate: 0.001 }, logEvery: 1 },
    }),
  },
  {
    // The preset the README trains (examples/small.json: 4 blocks, d_model 128, adaptive FFNs,
    // 0.8 M parameters at the start), 8 sequences of 128 bytes per rank: what data-parallel
    // training is for, a step that computes for a few hundred ms next to a ~3 MB gradient.
    name: 'transformer',
    description: 'small preset, 8 × 128 tokens/rank',
    localBatch: 8,
    steps: quick ? 20 : 40,
    warmup: 5,
    config: (batchSize, steps) => ({
      ...JSON.parse(readFileSync(fileURLToPath(new URL('../examples/small.json', import.meta.url)), 'utf8')),
      name: 'scaling-transformer',
      backend: 'wasm',
      training: {
        steps,
        batchSize,
        optimizer: { type: 'adam', learningRate: 0.002, clipNorm: 1 },
        logEvery: 1,
        evalEvery: 0,
        checkpointEvery: 0,
      },
    }),
  },
  {
    name: 'comm-bound',
    description: 'Spiral MLP 2→16→16→2, 32/rank',
    localBatch: 32,
    steps: quick ? 200 : 400,
    warmup: quick ? 20 : 50,
    config: (batchSize, steps) => ({
      name: 'scaling-spiral',
      seed: 1,
      backend: 'wasm',
      data: { dataset: 'spiral' },
      model: { type: 'mlp', hiddenLayers: 2, adaptive: false, widths: [16, 16] },
      training: { steps, batchSize, optimizer: { type: 'adam', learningRate: 0.01 }, logEvery: 1 },
    }),
  },
];

const selected = casesArg ? CASES.filter((c) => casesArg.slice('--cases='.length).split(',').includes(c.name)) : CASES;

// `concurrent: 2` is the control: two independent single-process runs at once, no sockets. Their
// summed samples/s over 2 × one run alone is what this machine allows two processes, communication
// aside (CPU contention, shared caches and memory bandwidth, other load on a shared machine).
const MODES = [
  { key: 'single', label: 'single process', workers: 0 },
  { key: 'w1', label: '--workers 1', workers: 1 },
  { key: 'w2', label: '--workers 2', workers: 2 },
  { key: 'pair', label: '2 × single', workers: 0, concurrent: 2 },
  ...(transports ? [{ key: 'w2zmq', label: '-w 2, ZeroMQ', workers: 2, env: { AWN_RING_STREAMS: '0' } }] : []),
];

const root = mkdtempSync(join(os.tmpdir(), 'awn-scaling-'));
if (keep) console.log(`run directories kept under ${root}`);
const cleanup = () => {
  if (!keep) rmSync(root, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

function train(configPath, out, workers, env = {}) {
  const argv = [
    CLI,
    'train',
    '--config',
    configPath,
    '--out',
    out,
    ...(workers > 0 ? ['--workers', String(workers)] : []),
  ];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, AWN_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1e3;
      if (code === 0) resolve(seconds);
      else
        reject(
          new Error(`awn train ${argv.slice(2).join(' ')} exited with ${code ?? signal}:\n${output.slice(-4000)}`),
        );
    });
  });
}

/** Throughput and phase times of the steps after `warmup`, from metrics.jsonl. */
function measure(out, warmup, batchSize, workers) {
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((m) => typeof m.samplesPerSecond === 'number' && m.step > warmup);
  const stepSeconds = lines.map((m) => batchSize / m.samplesPerSecond);
  const total = stepSeconds.reduce((a, b) => a + b, 0);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const result = {
    steps: lines.length,
    samplesPerSecond: (lines.length * batchSize) / total,
    msPerStep: (1e3 * total) / lines.length,
    summary,
  };
  if (workers > 0) {
    const ranks = lines.flatMap((m) => m.ranks ?? []);
    result.computeMs = mean(ranks.map((r) => r.computeMs));
    result.allreduceMs = mean(ranks.map((r) => r.allreduceMs));
    result.allreduceMedianMs = median(ranks.map((r) => r.allreduceMs));
    // The rank that enters the all-reduce last waits least: its time is the collective itself; the
    // rest of the mean is the other ranks waiting for it (compute skew).
    result.allreduceOwnMs = mean(lines.map((m) => Math.min(...(m.ranks ?? []).map((r) => r.allreduceMs))));
    result.updateMs = mean(ranks.map((r) => r.updateMs));
    result.rankTotalMs = mean(ranks.map((r) => r.totalMs));
    result.allreduceShare = ranks.reduce((s, r) => s + r.allreduceMs, 0) / ranks.reduce((s, r) => s + r.totalMs, 0);
  } else {
    result.computeMs = mean(lines.map((m) => 1e3 * (m.seconds.data + m.seconds.compute)));
    result.allreduceMs = 0;
    result.updateMs = mean(lines.map((m) => 1e3 * m.seconds.update));
    result.rankTotalMs = result.msPerStep;
    result.allreduceShare = 0;
  }
  return result;
}

const began = performance.now();
const load0 = os.loadavg();
console.log(
  `scaling benchmark: ${os.availableParallelism?.() ?? os.cpus().length} cores, node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')}${quick ? ' (quick)' : ''}`,
);
const results = [];
try {
  for (const c of selected) {
    for (const mode of MODES) {
      const batchSize = c.localBatch * Math.max(1, mode.workers);
      const copies = Array.from({ length: mode.concurrent ?? 1 }, (_, i) =>
        join(root, `${c.name}-${mode.key}${mode.concurrent ? `-${i}` : ''}`),
      );
      const configPath = join(root, `${c.name}-${mode.key}.json`);
      writeFileSync(configPath, JSON.stringify(c.config(batchSize, c.steps)));
      const walls = await Promise.all(copies.map((dir) => train(configPath, dir, mode.workers, mode.env)));
      const runs = copies.map((dir) => measure(dir, c.warmup, batchSize, mode.workers));
      const r =
        runs.length === 1
          ? runs[0]
          : {
              ...runs[0],
              samplesPerSecond: runs.reduce((s, x) => s + x.samplesPerSecond, 0),
              msPerStep: mean(runs.map((x) => x.msPerStep)),
              computeMs: mean(runs.map((x) => x.computeMs)),
              updateMs: mean(runs.map((x) => x.updateMs)),
            };
      const wall = Math.max(...walls);
      results.push({ case: c, mode, batchSize, wall, ...r });
      process.stderr.write(
        `  ${c.name} ${mode.label}: ${fmt(r.samplesPerSecond, 0)} samples/s (${fmt(wall)} s wall)\n`,
      );
    }
  }
} finally {
  cleanup();
}
const load1 = os.loadavg();

console.log('');
console.log(
  'case           mode             batch  steps  samples/s  ms/step  compute ms  allreduce ms  update ms  allreduce share',
);
for (const r of results) {
  console.log(
    [
      r.case.name.padEnd(13),
      r.mode.label.padEnd(15),
      (r.mode.concurrent ? `${r.mode.concurrent}×${r.batchSize}` : String(r.batchSize)).padStart(6),
      String(r.steps).padStart(6),
      fmt(r.samplesPerSecond, 0).padStart(10),
      fmt(r.msPerStep, 2).padStart(8),
      fmt(r.computeMs, 2).padStart(11),
      (r.mode.workers ? fmt(r.allreduceMs, 2) : '-').padStart(13),
      fmt(r.updateMs, 2).padStart(10),
      (r.mode.workers ? `${fmt(100 * r.allreduceShare)} %` : '-').padStart(16),
    ].join(' '),
  );
}
console.log('');
for (const c of selected) {
  const get = (key) => results.find((r) => r.case === c && r.mode.key === key);
  const [p, w1, w2, pair] = [get('single'), get('w1'), get('w2'), get('pair')];
  const efficiency = w2.samplesPerSecond / (2 * w1.samplesPerSecond);
  const ceiling = pair.samplesPerSecond / (2 * p.samplesPerSecond);
  const direct = w2.samplesPerSecond / pair.samplesPerSecond;
  console.log(`${c.name} (${c.description}):`);
  console.log(
    `  scaling efficiency   2 workers / (2 × 1 worker)           = ${fmt(efficiency, 2)}${c.name === 'compute-bound' ? '   (goal ≥ 0.85)' : ''}`,
  );
  console.log(
    `  machine ceiling      2 × single at once / (2 × single)    = ${fmt(ceiling, 2)}   (no communication at all)`,
  );
  console.log(
    `  efficiency / ceiling (cost of all-reduce + sync)          = ${fmt(efficiency / ceiling, 2)}${c.name === 'comm-bound' ? '' : '   (goal ≥ 0.9, issue 15)'}`,
  );
  // The same question without the two single-rank runs in between (measured at other moments of
  // a load that may drift): 2 workers against 2 independent processes, the runs next to each other.
  console.log(`  2 workers / 2 × single at once (same batch per process)   = ${fmt(direct, 2)}`);
  console.log(
    `  speed-up             2 workers / single process           = ${fmt(w2.samplesPerSecond / p.samplesPerSecond, 2)}`,
  );
  console.log(
    `  distributed path     1 worker / single process            = ${fmt(w1.samplesPerSecond / p.samplesPerSecond, 2)}`,
  );
  console.log(
    `  all-reduce share of the rank step (2 workers)             = ${fmt(100 * w2.allreduceShare)} %: ${fmt(w2.allreduceMs, 2)} ms a step, of which ${fmt(w2.allreduceOwnMs, 2)} ms the collective itself (last rank in) and ${fmt(w2.allreduceMs - w2.allreduceOwnMs, 2)} ms waiting for the slower rank`,
  );
  const zmq = get('w2zmq');
  if (zmq)
    console.log(
      `  with ZeroMQ links    efficiency / ceiling = ${fmt(zmq.samplesPerSecond / (2 * w1.samplesPerSecond) / ceiling, 2)}, 2 workers streams / ZeroMQ = ${fmt(w2.samplesPerSecond / zmq.samplesPerSecond, 2)}; all-reduce ${fmt(zmq.allreduceMs, 2)} ms a step, ${fmt(zmq.allreduceOwnMs, 2)} ms last rank in`,
    );
}
console.log('');
console.log(
  `load average after: ${load1.map((l) => l.toFixed(2)).join(' ')}; benchmark took ${fmt((performance.now() - began) / 1e3, 0)} s`,
);
