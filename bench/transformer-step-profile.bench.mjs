#!/usr/bin/env node
// Per-kernel profile of one `small` Transformer training step (examples/small.json: 4 blocks,
// d_model 128, 4 heads, context 128, batch 32) on tfjs wasm + @awn/kernels-blas, via tf.profile:
// every kernel's time summed by kernel name (and by name + input shapes with --shapes).
//   node bench/transformer-step-profile.bench.mjs [--steps=3] [--shapes] [--no-extra] [--backend=cpu]
//     [--config=examples/small.json] [--batch=32] [--length=128]
// --backend=cpu: tfjs's cpu backend with the same native kernels (tensors outside the wasm heap).
// On cpu, tf.profile reads every kernel output (tfjs's CHECK_COMPUTATION_FOR_ERRORS), which takes
// it out of the output pool (packages/kernels-blas/src/pool.ts): the profiled step allocates afresh
// and runs slower than a real one. Use it for shares; bench/engine-step.bench.mjs for step times.
// --no-extra: only the OpenBLAS matMul kernels (the element-wise/transpose/softmax kernels of
// @awn/kernels-blas off), to see what they remove. Build first: npx tsc -b packages/core packages/kernels-blas
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { buildExperiment, parseRunConfig, selectBackend, trainStep } from '../packages/core/dist/index.js';
import { blasStatus, cpuPoolStats, registerBlasKernels } from '../packages/kernels-blas/dist/index.js';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const steps = Number(arg('steps', 3));
const byShape = process.argv.includes('--shapes');
const extra = !process.argv.includes('--no-extra');

const backend = arg('backend', 'wasm');
const sel = await selectBackend(backend);
registerBlasKernels({ ops: extra, backend });
console.log(
  `backend ${tf.getBackend()}, blas ${JSON.stringify(sel.blas ?? {})}, kernels ${blasStatus(backend).kernels.join(',')}`,
);
const base = JSON.parse(readFileSync(new URL(`../${arg('config', 'examples/small.json')}`, import.meta.url), 'utf8'));
const batchSize = Number(arg('batch', base.training.batchSize));
const length = Number(arg('length', base.data.sequenceLength));
const exp = buildExperiment(
  parseRunConfig({
    ...base,
    data: { ...base.data, sequenceLength: length },
    training: { ...base.training, batchSize, steps: 1000 },
  }),
);
const options = { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 1000 };
await trainStep(options, 0);
await trainStep(options, 1);

const totals = new Map();
let stepMs = 0;
let computeMs = 0;
for (let s = 0; s < steps; s++) {
  let metrics;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    metrics = await trainStep(options, 2 + s);
    return [];
  });
  stepMs += performance.now() - t0;
  computeMs += metrics.seconds.compute * 1e3;
  for (const k of info.kernels) {
    const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const ms = await k.kernelTimeMs;
    const e = totals.get(key) ?? { ms: 0, calls: 0 };
    e.ms += typeof ms === 'number' ? ms : 0;
    e.calls += 1;
    totals.set(key, e);
  }
}
const rows = [...totals].map(([k, v]) => ({ k, ms: v.ms / steps, calls: v.calls / steps })).sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((s, r) => s + r.ms, 0);
console.log(
  `step (profiled) ${(stepMs / steps).toFixed(1)} ms, compute phase ${(computeMs / steps).toFixed(1)} ms, Σ kernel ${kernelMs.toFixed(1)} ms, ${rows.reduce((s, r) => s + r.calls, 0)} kernels/step`,
);
console.log('| kernel | calls/step | ms/step | share of Σ kernel |\n|---|---|---|---|');
for (const r of rows.slice(0, byShape ? 40 : 30)) {
  console.log(`| ${r.k} | ${r.calls} | ${r.ms.toFixed(2)} | ${((100 * r.ms) / kernelMs).toFixed(1)} % |`);
}
if (backend === 'cpu') {
  const p = cpuPoolStats();
  console.log(
    `cpu buffer pool: ${(p.bytes / 2 ** 20).toFixed(0)} MiB held, ${p.hits} reused / ${p.misses} new buffers`,
  );
}
