#!/usr/bin/env node
// Cost of one width change of an adaptive MLP relative to one training step of the same model,
// measured in this run. Goal of issue 2: a change inside capacity ≤ 0.2 step. Asserts nothing.
//
//   node bench/mlp-width-change.bench.mjs [--quick] [--widths=256,1024] [--backend=wasm|cpu] [--no-blas]
// Build first: npx tsc -b packages/core
//
// Method
// - Model: 784 → W → W → 10 adaptive MLP (2 hidden layers), batch 128, Adam; W = 256 and 1024.
//   The reference is the median `trainStep` time at width W (widths held as in
//   mlp-adaptive-overhead.bench.mjs: raw rates reset before each step), on wasm + OpenBLAS when it
//   is installed (the fastest backend, so the strictest ratio).
// - A width change is what `updateLayerWidths` does when a layer's target width moves:
//   `AdaptiveDense.resize(width, seed, step)`. It draws the new incoming weights of the layer
//   (seeded PRNG), zeroes their Adam moments, and resizes the rows of the consumer parameter (the
//   next hidden layer's weight, or the output weight for the last hidden layer), drawing the new
//   outgoing weights. That call is timed alone, per layer: hidden0 (consumer hidden1.weight W×W)
//   and hidden1 (consumer output.weight W×10). Adam slots exist (the model has trained) so the
//   moment bookkeeping is part of the cost. The next step's upload sees a different shape, but the
//   upload is done every step anyway, so it is not part of the change's cost.
// - Cases: grow by 1, grow by 10 %, shrink by 10 %, in three capacity states:
//   · inside capacity: the model has been through one grow-and-shrink of 10 % per layer before
//     timing (so every buffer, including the consumer's rows, has headroom); each timed change is
//     undone (untimed) before the next repetition;
//   · fresh model (capacityFactor 1.5, the default): the first growth of a newly built model;
//   · at capacity (capacityFactor 1.0): every buffer is exactly full, so any growth reallocates.
//   "reallocs" is the increase of Σ Parameter.reallocations over the model per change.
// Medians over repetitions; fresh models are rebuilt (untimed) for every repetition.
import { AdaptiveMlp, Adam, selectBackend, trainStep } from '@awn/core';
import { fmt as fmtDigits, median } from './lib/stats.mjs';
import { MNIST_BATCH as BATCH, mnistData, timedStepOptions } from './lib/mnist-data.mjs';

const fmt = (x, d = 2) => fmtDigits(x, d);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name, fallback) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const WIDTHS = option('widths', '256,1024').split(',').map(Number);
const BACKEND = option('backend', 'wasm');
const BLAS = !args.includes('--no-blas');
const SEED = 7;
const REPS = quick ? 5 : 15;
const FRESH_REPS = quick ? 3 : 7;

const centredRate = (width) => -Math.log1p(-0.9) / (width - 1.5);

function build(width, capacityFactor) {
  const model = new AdaptiveMlp({
    inputDim: 784,
    outputDim: 10,
    task: 'classification',
    hiddenLayers: 2,
    seed: SEED,
    adaptive: true,
    initialRate: centredRate(width),
    capacityFactor,
  });
  if (model.layers.some((l) => l.width !== width))
    throw new Error(`widths ${model.layers.map((l) => l.width)} ≠ ${width}`);
  return model;
}

const reallocations = (model) => model.parameters.reduce((n, p) => n + p.reallocations, 0);

/** Gives every parameter its Adam slots (a zero-gradient update changes no value). */
function withSlots(model, optimizer) {
  optimizer.apply(model.parameters, new Float32Array(model.parameters.reduce((n, p) => n + p.size, 0)));
}

/** Median step time with the widths held at `width`, plus the trained model for the inside-capacity cases. */
async function stepTime(data, width) {
  const model = build(width, 1.5);
  const options = timedStepOptions(model, data);
  const raw0 = model.layers.map((l) => l.rawRate.scalar);
  const times = [];
  const start = performance.now();
  for (
    let step = 0;
    times.length < (quick ? 6 : 25) && (times.length < 5 || performance.now() - start < (quick ? 1500 : 5000));
    step++
  ) {
    model.layers.forEach((l, i) => (l.rawRate.scalar = raw0[i]));
    const t0 = performance.now();
    const m = await trainStep(options, step);
    const ms = performance.now() - t0;
    if (m.widthChanges.length) {
      model.layers.forEach((l, i) => (l.rawRate.scalar = raw0[i]));
      model.updateWidths(step);
      continue;
    }
    if (step >= 3) times.push(ms); // first steps are warm-up
  }
  return { ms: median(times), model };
}

const amount = (kind, width) => (kind === 'grow by 1' ? 1 : Math.round(width * 0.1));
const target = (kind, width) => (kind === 'shrink by 10 %' ? width - amount(kind, width) : width + amount(kind, width));

/** Times one change of `layer` to `to`; returns ms and reallocations it caused. */
function timeResize(model, layer, to, step) {
  const before = reallocations(model);
  const t0 = performance.now();
  model.layers[layer].resize(to, SEED, step);
  return { ms: performance.now() - t0, reallocs: reallocations(model) - before };
}

function insideCapacity(model, kind, layer, width) {
  const ms = [];
  const reallocs = [];
  for (let r = 0; r < REPS + 2; r++) {
    const t = timeResize(model, layer, target(kind, width), 1000 + r);
    model.layers[layer].resize(width, SEED, 1000 + r); // undo, untimed
    if (r >= 2) {
      ms.push(t.ms);
      reallocs.push(t.reallocs);
    } // 2 warm-up repetitions
  }
  return { ms: median(ms), reallocs: Math.max(...reallocs) };
}

function freshModel(kind, layer, width, capacityFactor) {
  const ms = [];
  const reallocs = [];
  for (let r = 0; r < FRESH_REPS + 1; r++) {
    const model = build(width, capacityFactor);
    withSlots(model, new Adam({ learningRate: 1e-4 }));
    const t = timeResize(model, layer, target(kind, width), 1);
    if (r >= 1) {
      ms.push(t.ms);
      reallocs.push(t.reallocs);
    }
  }
  return { ms: median(ms), reallocs: median(reallocs) };
}

const info = await selectBackend(BACKEND, undefined, { blas: BLAS });
const backendLabel = `${info.name}${info.blas.enabled ? ' + OpenBLAS matMul' : ''}`;
const { data, source } = mnistData(2048);
console.log(
  `width change vs one training step: adaptive 784 → W → W → 10, batch ${BATCH}, Adam; steps on ${backendLabel}; data: ${source}`,
);
console.log(
  "change = AdaptiveDense.resize of one layer (its columns + its consumer's rows); ×step = change ms / median step ms\n",
);

const rows = [];
for (const width of WIDTHS) {
  const { ms: step, model } = await stepTime(data, width);
  // Prime capacity: one 10 % grow-and-shrink per layer, so the inside-capacity cases find headroom everywhere.
  const primeBefore = reallocations(model);
  for (let l = 0; l < model.layers.length; l++) {
    model.layers[l].resize(width + amount('grow by 10 %', width), SEED, 900 + l);
    model.layers[l].resize(width, SEED, 950 + l);
  }
  const primeReallocs = reallocations(model) - primeBefore;
  rows.push({ width, step, primeReallocs, header: true });
  const cases = [
    ['inside capacity', 'grow by 1'],
    ['inside capacity', 'grow by 10 %'],
    ['inside capacity', 'shrink by 10 %'],
    ['fresh model (×1.5)', 'grow by 1'],
    ['fresh model (×1.5)', 'grow by 10 %'],
    ['at capacity (×1.0)', 'grow by 1'],
    ['at capacity (×1.0)', 'grow by 10 %'],
  ];
  for (const [state, kind] of cases) {
    const per = [0, 1].map((layer) =>
      state === 'inside capacity'
        ? insideCapacity(model, kind, layer, width)
        : freshModel(kind, layer, width, state.startsWith('fresh') ? 1.5 : 1.0),
    );
    rows.push({ width, step, state, kind, to: target(kind, width), per });
  }
}

const header = ['W', 'state', 'change', 'hidden0 ms', '×step', 'reallocs', 'hidden1 ms', '×step', 'reallocs'];
const table = rows
  .filter((r) => !r.header)
  .map((r) => [
    String(r.width),
    r.state,
    `${r.kind} (→${r.to})`,
    fmt(r.per[0].ms, 3),
    fmt(r.per[0].ms / r.step, 3),
    String(r.per[0].reallocs),
    fmt(r.per[1].ms, 3),
    fmt(r.per[1].ms / r.step, 3),
    String(r.per[1].reallocs),
  ]);
const w = header.map((h, i) => Math.max(h.length, ...table.map((l) => l[i].length)));
for (const r of rows.filter((x) => x.header)) {
  console.log(
    `W=${r.width}: median step ${fmt(r.step)} ms; priming the capacity (one 10 % grow+shrink per layer) reallocated ${r.primeReallocs} buffer(s)`,
  );
}
console.log();
console.log(header.map((h, i) => (i < 3 ? h.padEnd(w[i]) : h.padStart(w[i]))).join('  '));
for (const l of table) console.log(l.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
const inside = rows.filter((r) => r.state === 'inside capacity').flatMap((r) => r.per.map((p) => p.ms / r.step));
console.log(
  `\nworst change inside capacity: ${fmt(Math.max(...inside), 3)} step (goal ≤ 0.2): ${Math.max(...inside) <= 0.2 ? 'met' : 'NOT met'} in this run`,
);
