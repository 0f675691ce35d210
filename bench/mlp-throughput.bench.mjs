#!/usr/bin/env node
// Training throughput of an MLP 784 → 1024 → 1024 → 10, batch 128, per backend, in GFLOP/s next to
// the same backend's raw matMul GFLOP/s (128×1024 · 1024×1024) measured in the same run, and the
// share of the step spent in each phase of `trainStep` (data / compute / update). Asserts nothing.
//
//   node bench/mlp-throughput.bench.mjs [--quick] [--backends=wasm-blas,wasm,cpu]
// Build first: npx tsc -b packages/core
//
// FLOP convention: a forward pass does 2·B·Σ(in·out) flops in its matMuls (one multiply and one add
// per multiply-accumulate), the backward pass twice that (input and weight gradients), so one
// training step counts 6·B·Σ(in·out) = 1.430 GFLOP here. Element-wise work (bias, activation,
// importance, loss, Adam) is not counted: GFLOP/s is "useful matMul work per second of step".
// The matMul reference is one untransposed tf.matMul of the step's largest shape, result read back
// (its dataSync included, as the step's gradient download is).
//
// Phases come from `trainStep`'s `seconds`: data = next batch as tensors; compute = parameter
// upload + forward/backward (tf.valueAndGrads) + gradient download into one Float32Array; update =
// the finiteness check of the gradient + fused Adam on the host + width update. Shares are of the
// sum of the phase medians; Adam.apply is also timed inside the step (by wrapping the optimizer),
// which splits the update phase into Adam and the rest. The adaptive model (widths held at 1024
// as in mlp-adaptive-overhead.bench.mjs) runs beside the fixed one: each round after warm-up is
// one fixed step, one adaptive step and three reference matMuls, so all three see the same load
// on a shared machine. Medians over rounds; cpu (~2 s a step) gets 3 rounds.
// Backends run in the order wasm-own → wasm-blas → cpu: selectBackend never unregisters OpenBLAS.
import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveMlp, selectBackend, trainStep } from '@awn/core';
import { fmt as fmtDigits, median } from './lib/stats.mjs';
import { MNIST_BATCH as BATCH, mnistData, timedStepOptions } from './lib/mnist-data.mjs';

const fmt = (x, d = 1) => fmtDigits(x, d);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendsArg = args.find((a) => a.startsWith('--backends='));
const BACKENDS = backendsArg ? backendsArg.slice('--backends='.length).split(',') : ['wasm-blas', 'wasm', 'cpu'];
const LAYERS = [784, 1024, 1024, 10];
const MACS = LAYERS.slice(1).reduce((s, out, i) => s + LAYERS[i] * out, 0);
const STEP_GFLOP = (6 * BATCH * MACS) / 1e9;
const [M, K, N] = [128, 1024, 1024];
const MATMUL_GFLOP = (2 * M * K * N) / 1e9;

function makeModel(adaptive) {
  const width = LAYERS[1];
  return new AdaptiveMlp({
    inputDim: LAYERS[0],
    outputDim: LAYERS[3],
    task: 'classification',
    hiddenLayers: 2,
    seed: 7,
    adaptive,
    initialRate: -Math.log1p(-0.9) / (width - 1.5),
    widths: [LAYERS[1], LAYERS[2]],
  });
}

/** One model's training steps, timed, with phases and Adam.apply split out. */
function stepRunner(data, adaptive) {
  const model = makeModel(adaptive);
  const options = timedStepOptions(model, data);
  const raw0 = model.layers.map((l) => l.rawRate?.scalar);
  // Time Adam.apply inside the step, so the update phase splits into Adam and the rest (the
  // gradient finiteness check and the width update) as they run in trainStep itself.
  const apply = options.optimizer.apply.bind(options.optimizer);
  let adamMs = NaN;
  options.optimizer.apply = (params, gradient) => {
    const t0 = performance.now();
    apply(params, gradient);
    adamMs = performance.now() - t0;
  };
  const samples = { ms: [], data: [], compute: [], update: [], adam: [] };
  let step = 0;
  const run = async (record) => {
    const t0 = performance.now();
    const m = await trainStep(options, step++);
    const ms = performance.now() - t0;
    // Hold the widths (see mlp-adaptive-overhead.bench.mjs): reset the raw rates after every step.
    model.layers.forEach((l, i) => {
      if (l.rawRate) l.rawRate.scalar = raw0[i];
    });
    if (m.widthChanges.length) {
      model.updateWidths(step++);
      return;
    } // not expected; sample dropped
    if (!record) return;
    samples.ms.push(ms);
    samples.adam.push(adamMs);
    for (const k of ['data', 'compute', 'update']) samples[k].push(m.seconds[k] * 1e3);
  };
  const result = () => {
    const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const sum = med.data + med.compute + med.update;
    const share = { data: med.data / sum, compute: med.compute / sum, update: med.update / sum };
    return { ms: med.ms, steps: samples.ms.length, share, phaseMs: med, gflops: STEP_GFLOP / (med.ms / 1e3) };
  };
  return { run, result };
}

/** Raw matMul of the reference shape: one call, result read back (dataSync), in ms. */
function matMulRunner() {
  const a = tf.randomUniform([M, K], -1, 1);
  const b = tf.randomUniform([K, N], -1, 1);
  const samples = [];
  const run = (record) => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    if (record) samples.push(performance.now() - t0);
  };
  const finish = () => {
    tf.dispose([a, b]);
    return MATMUL_GFLOP / (median(samples) / 1e3);
  };
  return { run, finish };
}

/**
 * Rounds of (fixed step, adaptive step, 3 matMuls) after warm-up, so the three see the same load
 * on the shared machine; at least minRounds, then until budgetMs or maxRounds.
 */
async function measureBackend(data, { warmup, minRounds, maxRounds, budgetMs }) {
  const fixed = stepRunner(data, false);
  const adaptive = stepRunner(data, true);
  const matmul = matMulRunner();
  const start = performance.now();
  for (let round = 0; ; round++) {
    const record = round >= warmup;
    const measured = round - warmup;
    if (record && (measured >= maxRounds || (measured >= minRounds && performance.now() - start > budgetMs))) break;
    await fixed.run(record);
    await adaptive.run(record);
    for (let i = 0; i < 3; i++) matmul.run(record);
  }
  const gflops = matmul.finish();
  return [
    { model: 'fixed', ...fixed.result(), matmul: gflops },
    { model: 'adaptive', ...adaptive.result(), matmul: gflops },
  ];
}

const { data, source } = mnistData(4096);
console.log(`training throughput: MLP ${LAYERS.join(' → ')}, batch ${BATCH}, Adam; data: ${source}`);
console.log(
  `one step = 6·B·Σ(in·out) = ${STEP_GFLOP.toFixed(3)} GFLOP; matMul reference ${M}×${K}·${K}×${N} = ${MATMUL_GFLOP.toFixed(3)} GFLOP\n`,
);

const rows = [];
for (const backend of ['wasm', 'wasm-blas', 'cpu'].filter((b) => BACKENDS.includes(b))) {
  const info = await selectBackend(backend === 'cpu' ? 'cpu' : 'wasm', undefined, { blas: backend === 'wasm-blas' });
  const label = backend === 'wasm-blas' ? 'wasm+blas' : backend;
  if (backend === 'wasm-blas' && !info.blas.enabled) {
    rows.push({ label, note: `skipped: OpenBLAS kernels unavailable (${info.blas.reason})` });
    continue;
  }
  if (backend === 'wasm' && info.blas.enabled)
    throw new Error('OpenBLAS kernels are registered; wasm-own must run first');
  const slow = backend === 'cpu';
  const cfg = slow
    ? { warmup: 1, minRounds: quick ? 2 : 3, maxRounds: quick ? 2 : 3, budgetMs: 0 }
    : { warmup: 2, minRounds: quick ? 4 : 8, maxRounds: 40, budgetMs: quick ? 3000 : 12000 };
  for (const r of await measureBackend(data, cfg)) rows.push({ label, ...r });
}

const header = [
  'backend',
  'model',
  'steps',
  'ms/step',
  'samples/s',
  'train GFLOP/s',
  'matMul GFLOP/s',
  'train/matMul',
  'data',
  'compute',
  'update',
];
const pct = (x) => `${fmt(100 * x, 1)} %`;
const lines = rows.map((r) =>
  r.note
    ? null
    : [
        r.label,
        r.model,
        String(r.steps),
        fmt(r.ms),
        fmt((BATCH * 1e3) / r.ms, 0),
        fmt(r.gflops, 2),
        fmt(r.matmul, 2),
        fmt(r.gflops / r.matmul, 2),
        pct(r.share.data),
        pct(r.share.compute),
        pct(r.share.update),
      ],
);
const w = header.map((h, i) => Math.max(h.length, ...lines.filter(Boolean).map((l) => l[i].length)));
console.log(header.map((h, i) => h.padStart(w[i])).join('  '));
rows.forEach((r, i) =>
  console.log(r.note ? `${r.label.padStart(w[0])}  ${r.note}` : lines[i].map((c, j) => c.padStart(w[j])).join('  ')),
);
console.log(
  "\nphase medians (ms); update = Adam.apply + rest (rest = trainStep's gradient finiteness check + width update):",
);
for (const r of rows.filter((x) => !x.note)) {
  console.log(
    `  ${r.label.padEnd(9)} ${r.model.padEnd(8)} data ${fmt(r.phaseMs.data, 2)}  compute ${fmt(r.phaseMs.compute, 2)}  update ${fmt(r.phaseMs.update, 2)} = Adam ${fmt(r.phaseMs.adam, 2)} + rest ${fmt(r.phaseMs.update - r.phaseMs.adam, 2)}`,
  );
}
