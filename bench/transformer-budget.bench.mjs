#!/usr/bin/env node
// Bits per byte after a fixed token budget: one adaptive run (no width tuning) against the best
// of a fixed-width sweep over FFN widths {64, 128, 256, 512}, same architecture otherwise (the
// tiny preset: 2 blocks, d_model 64, context 64), same budget, same seed, wasm backend. Reports
// the compute spent (one run vs the whole sweep, wall-clock and parameter-weighted) and the
// quality gap (adaptive − best fixed, validation bits per byte).
//   node bench/transformer-budget.bench.mjs [--quick]
// Build first: npx tsc -b packages/core
import { readFileSync } from 'node:fs';
import { buildExperiment, fit, parseRunConfig, selectBackend } from '../packages/core/dist/index.js';

const quick = process.argv.includes('--quick');
const STEPS = quick ? 60 : 250;
const SWEEP = [64, 128, 256, 512];
const base = JSON.parse(readFileSync(new URL('../examples/tiny.json', import.meta.url), 'utf8'));
const tokens = STEPS * base.training.batchSize * base.data.sequenceLength;

async function run(model) {
  const exp = buildExperiment(
    parseRunConfig({ ...base, model: { ...base.model, ...model }, training: { ...base.training, steps: STEPS } }),
  );
  let widthSteps = 0;
  const t0 = performance.now();
  await fit({
    model: exp.model,
    optimizer: exp.optimizer,
    loss: exp.loss,
    train: exp.train,
    steps: STEPS,
    onStep: (m) => void (widthSteps += m.widths.reduce((a, b) => a + b, 0)),
  });
  const seconds = (performance.now() - t0) / 1e3;
  const bpb = exp.score(exp.model, 'validation').bitsPerByte;
  return { bpb, seconds, widths: exp.model.adaptiveLayers.map((l) => l.width), meanTotalWidth: widthSteps / STEPS };
}

await selectBackend('wasm');
console.log(
  `budget: ${STEPS} steps × ${base.training.batchSize}×${base.data.sequenceLength} = ${tokens} tokens per run (wasm)`,
);
const adaptive = await run({ adaptive: true });
console.log(
  `adaptive: ${adaptive.bpb.toFixed(3)} bits/byte, final FFN widths ${adaptive.widths.join('/')}, ${adaptive.seconds.toFixed(1)} s`,
);
const sweep = [];
for (const w of SWEEP) {
  const r = await run({ adaptive: false, ffnWidths: new Array(base.model.blocks).fill(w) });
  sweep.push({ width: w, ...r });
  console.log(`fixed ${String(w).padStart(3)}: ${r.bpb.toFixed(3)} bits/byte, ${r.seconds.toFixed(1)} s`);
}
const best = sweep.reduce((a, b) => (b.bpb < a.bpb ? b : a));
const sweepSeconds = sweep.reduce((n, r) => n + r.seconds, 0);
const sweepWidth = sweep.reduce((n, r) => n + r.meanTotalWidth, 0);
console.log(
  `best fixed: width ${best.width} at ${best.bpb.toFixed(3)} bits/byte; quality gap adaptive − best = ${(adaptive.bpb - best.bpb).toFixed(3)} bits/byte; ` +
    `compute, sweep / adaptive: ${(sweepSeconds / adaptive.seconds).toFixed(2)}× wall-clock, ${(sweepWidth / adaptive.meanTotalWidth).toFixed(2)}× FFN neuron-steps, ${SWEEP.length}× tokens`,
);
