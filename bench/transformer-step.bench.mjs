#!/usr/bin/env node
// One training step of the `small` Transformer (examples/small.json: 4 blocks, d_model 128, 4 heads,
// context 128, batch 32 × 128 tokens, byte vocabulary, adaptive FFNs, Adam) on tfjs wasm:
//   wasm      — wasm's own kernels (no addon)
//   blas      — + the OpenBLAS matMul kernels of @awn/kernels-blas (ops: false)
//   blas+ops  — + its native Transpose / Add / Sub / Multiply / RealDiv / Sum kernels (the default)
// against PyTorch on the CPU (1 thread, torch.set_num_threads(1)) running an equivalent pre-LN
// decoder with the same sizes (FFN widths = the adaptive model's current widths), cross-entropy,
// clip-norm 1 and Adam. The peer is skipped when `/usr/bin/python3 -c "import torch"` fails; the
// benchmark installs nothing. The tfjs variants alternate in rounds (A B C A B C …) inside one
// process, so machine load hits all alike; medians of all samples.
//   node bench/transformer-step.bench.mjs [--quick] [--rounds=N] [--steps=N] [--no-wasm]
// Goal (issue 8): blas+ops step within 1.5× of PyTorch's.
// Build first: npx tsc -b packages/core packages/kernels-blas && npm run build:addon -w @awn/kernels-blas
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { buildExperiment, parseRunConfig, selectBackend, trainStep } from '../packages/core/dist/index.js';
import { blasAvailable, registerBlasKernels, unregisterBlasKernels } from '../packages/kernels-blas/dist/index.js';
import { runTorchDecoder, torchAvailable } from './lib/torch-decoder.mjs';

const quick = process.argv.includes('--quick');
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const ROUNDS = arg('rounds', quick ? 2 : 4);
const STEPS = arg('steps', quick ? 2 : 3);
const withWasm = !process.argv.includes('--no-wasm');

await selectBackend('wasm', undefined, { blas: false });
const avail = blasAvailable();
const base = JSON.parse(readFileSync(new URL('../examples/small.json', import.meta.url), 'utf8'));
const config = parseRunConfig({ ...base, training: { ...base.training, steps: 100000 } });
const exp = buildExperiment(config);
const options = { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 100000 };
const m = config.model;
const widths = exp.model.adaptiveLayers.map((l) => l.width);
const batch = config.training.batchSize;
const seq = config.data.sequenceLength;

const variants = [
  ...(withWasm ? [{ name: 'wasm', label: 'tfjs wasm, own kernels', set: () => unregisterBlasKernels() }] : []),
  ...(avail.available
    ? [
        { name: 'blas', label: 'tfjs wasm + OpenBLAS matMul', set: () => registerBlasKernels({ ops: false }) },
        {
          name: 'blas+ops',
          label: 'tfjs wasm + OpenBLAS matMul + native ops',
          set: () => registerBlasKernels({ ops: true }),
        },
      ]
    : []),
];
if (!avail.available) console.log(`OpenBLAS addon unavailable (${avail.reason}): only wasm's own kernels.`);

// --- PyTorch peer (bench/lib/torch-decoder.mjs) ------------------------------------------------
const torchOk = torchAvailable().ok;
if (!torchOk) console.log(`PyTorch peer skipped (${torchAvailable().reason})`);
/** One PyTorch measurement (median ms/step) in a child process, or null. */
function runTorch() {
  if (!torchOk) return null;
  return runTorchDecoder({
    batch,
    seq,
    dModel: m.dModel,
    heads: m.heads,
    vocab: m.vocabSize ?? 256,
    widths,
    timed: quick ? 4 : 8,
  });
}

// PyTorch runs before and after the tfjs rounds; the mean of the two is the peer's time.
const torchBefore = runTorch();

let step = 0;
const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
const computeSamples = Object.fromEntries(variants.map((v) => [v.name, []]));
for (const v of variants) {
  v.set();
  await trainStep(options, step++); // warm-up: kernel setup, heap growth
}
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    v.set();
    await trainStep(options, step++); // first step after a switch is not timed
    for (let s = 0; s < STEPS; s++) {
      const t0 = performance.now();
      const metrics = await trainStep(options, step++);
      samples[v.name].push(performance.now() - t0);
      computeSamples[v.name].push(metrics.seconds.compute * 1e3);
    }
  }
}
const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

const torchAfter = runTorch();
const torch =
  torchBefore && torchAfter
    ? {
        version: torchBefore.version,
        ms: (torchBefore.ms + torchAfter.ms) / 2,
        before: torchBefore.ms,
        after: torchAfter.ms,
      }
    : null;

console.log(
  `small Transformer step: ${m.blocks} blocks, d_model ${m.dModel}, ${m.heads} heads, batch ${batch}×${seq} tokens, ` +
    `FFN widths ${widths.join('/')}; tfjs ${tf.version_core}, ${ROUNDS} rounds × ${STEPS} steps per variant\n`,
);
console.log('| variant | ms/step (median) | compute phase ms | vs wasm own | vs PyTorch |\n|---|---|---|---|---|');
const wasmMs = samples.wasm ? median(samples.wasm) : NaN;
for (const v of variants) {
  const ms = median(samples[v.name]);
  console.log(
    `| ${v.label} | ${fmt(ms)} | ${fmt(median(computeSamples[v.name]))} | ${fmt(wasmMs / ms, 2)}× faster | ` +
      `${torch ? `${fmt(ms / torch.ms, 2)}× its time` : 'n/a'} |`,
  );
}
if (torch) {
  console.log(
    `| PyTorch ${torch.version} CPU, 1 thread (equivalent pre-LN decoder; ${fmt(torch.before)} before, ` +
      `${fmt(torch.after)} after the tfjs rounds) | ${fmt(torch.ms)} | — | ${fmt(wasmMs / torch.ms, 2)}× faster | 1.00× |`,
  );
}
if (samples.blas && samples['blas+ops']) {
  console.log(
    `\nnative ops on vs off (both with OpenBLAS matMul): ${fmt(median(samples.blas) / median(samples['blas+ops']), 2)}× faster`,
  );
}
if (torch && samples['blas+ops']) {
  const ratio = median(samples['blas+ops']) / torch.ms;
  console.log(
    `goal: tfjs wasm + OpenBLAS + native ops within 1.5× of PyTorch's time: ${fmt(ratio, 2)}× → ${ratio <= 1.5 ? 'met' : 'NOT met'}`,
  );
}
