#!/usr/bin/env node
// Tokens per second of the `small` preset (4 blocks, d_model 128, 4 heads, context 128) training
// on Moby-Dick: adaptive FFNs vs fixed-width FFNs at the same widths, per backend, in one run.
// Goal from issue 3: adaptive / fixed time ≤ 1.10×. The cpu backend is skipped when its
// projected time exceeds a minute.
//   node bench/transformer-throughput.bench.mjs [--quick]
// Build first: npx tsc -b packages/core
import { readFileSync } from 'node:fs';
import { buildExperiment, parseRunConfig, selectBackend, trainStep } from '../packages/core/dist/index.js';

const quick = process.argv.includes('--quick');
const STEPS = quick ? 4 : 10;
const CPU_BUDGET_S = 60;
const base = JSON.parse(readFileSync(new URL('../examples/small.json', import.meta.url), 'utf8'));

function experiment(model, batchSize = base.training.batchSize) {
  const config = parseRunConfig({
    ...base,
    model: { ...base.model, ...model },
    training: { ...base.training, batchSize, steps: 1000 },
  });
  const exp = buildExperiment(config);
  return {
    exp,
    options: { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 1000 },
  };
}

/** Median seconds per step over `steps` steps after one warm-up step. */
async function secondsPerStep(run, steps) {
  await trainStep(run.options, 0);
  const samples = [];
  for (let s = 1; s <= steps; s++) {
    const t0 = performance.now();
    await trainStep(run.options, s);
    samples.push((performance.now() - t0) / 1e3);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

for (const backend of ['wasm', 'cpu']) {
  await selectBackend(backend);
  const adaptive = experiment({ adaptive: true });
  const widths = adaptive.exp.model.adaptiveLayers.map((l) => l.width);
  const fixed = experiment({ adaptive: false, ffnWidths: widths });
  const tokensPerStep = base.training.batchSize * base.data.sequenceLength;
  if (backend === 'cpu') {
    // Probe with a batch of 2 windows and scale: a full cpu step alone can take minutes.
    const probe = experiment({ adaptive: false, ffnWidths: widths }, 2);
    const t0 = performance.now();
    await trainStep(probe.options, 0);
    const one = ((performance.now() - t0) / 1e3) * (base.training.batchSize / 2);
    const projected = one * 2 * (STEPS + 1);
    if (projected > CPU_BUDGET_S) {
      console.log(
        `cpu: skipped (one step ${one.toFixed(1)} s, ${projected.toFixed(0)} s projected > ${CPU_BUDGET_S} s)`,
      );
      continue;
    }
  }
  // Interleave so both see the same machine load.
  const a1 = await secondsPerStep(adaptive, STEPS >> 1);
  const f1 = await secondsPerStep(fixed, STEPS >> 1);
  const a2 = await secondsPerStep(adaptive, STEPS >> 1);
  const f2 = await secondsPerStep(fixed, STEPS >> 1);
  const a = (a1 + a2) / 2;
  const f = (f1 + f2) / 2;
  console.log(
    `${backend}: small, batch ${base.training.batchSize}×${base.data.sequenceLength} tokens, FFN widths ${widths.join('/')} ` +
      `(adaptive now ${adaptive.exp.model.adaptiveLayers.map((l) => l.width).join('/')}): ` +
      `adaptive ${(tokensPerStep / a).toFixed(0)} tok/s, fixed ${(tokensPerStep / f).toFixed(0)} tok/s, ` +
      `time ratio adaptive/fixed ${(a / f).toFixed(3)}× (goal ≤ 1.10×)`,
  );
}
