#!/usr/bin/env node
// The tensor engine at Transformer scale (issue 16): one full training step (`trainStep`: upload,
// forward/backward, flat gradient, host Adam, width update) of an adaptive decoder on
//   cpu   — tfjs's cpu backend + @awn/kernels-blas's native kernels (tensors in ArrayBuffers)
//   wasm  — tfjs wasm + the same kernels (tensors in the 4 GiB wasm heap)
// against PyTorch on the CPU (1 thread; bench/lib/torch-decoder.mjs) at the same shapes. Every
// variant runs in its own child process (so its peak RSS is its own), all with 1 BLAS thread, and
// the variants alternate in rounds (A B C A B C …) so that machine load hits all alike. Children
// inherit the niceness the benchmark was started with (`nice node bench/…` on a shared machine).
//   node bench/engine-step.bench.mjs [--config=examples/small.json] [--batch=N] [--length=N]
//     [--rate=λ] [--recompute] [--variants=cpu,wasm,torch] [--rounds=2] [--steps=3]
// --recompute: awn with model.recompute (activations recomputed per block); PyTorch keeps its own.
// The issue's 38M shape is examples/large.json with FFN width 513: --config=examples/large.json --rate=0.0045
// Prints median ms/step, tokens/s and peak RSS per variant, and each tfjs variant's ratios to PyTorch;
// also each step's CPU time (the process's, all its threads), which on a machine shared with other
// jobs does not stretch with their load the way wall time does.
// Goals (issue 16): step ≤ 1.3× PyTorch's at 38M parameters and 4 × 256 tokens, `small` ≤ 1.0×,
// peak RSS ≤ 1.5× PyTorch's. Build first: npx tsc -b packages/core packages/kernels-blas
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { coreTypeForCpuinfo } from '../packages/kernels-blas/dist/environment.js';
import { runTorchDecoder, torchAvailable } from './lib/torch-decoder.mjs';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const configPath = arg('config', 'examples/small.json');
const base = JSON.parse(readFileSync(new URL(`../${configPath}`, import.meta.url), 'utf8'));
const batch = Number(arg('batch', base.training.batchSize));
const length = Number(arg('length', base.data.sequenceLength ?? base.model.context));
const steps = Number(arg('steps', 3));
const rate = arg('rate', null);
if (rate !== null) base.model.initialRate = Number(rate);
if (process.argv.includes('--recompute')) base.model.recompute = true;
const runConfig = {
  ...base,
  data: { ...base.data, sequenceLength: length },
  model: base.model,
  training: { ...base.training, batchSize: batch, steps: 100000 },
};

const child = arg('child', null);
if (child) {
  // One tfjs variant: warm-up step, then `steps` timed steps; prints one JSON line.
  const tf = await import('@tensorflow/tfjs-core');
  const core = await import('../packages/core/dist/index.js');
  const info = await core.selectBackend(child);
  const exp = core.buildExperiment(core.parseRunConfig(runConfig));
  const options = { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 100000 };
  const params = exp.model.parameters.reduce((n, p) => n + p.size, 0);
  const widths = exp.model.adaptiveLayers.map((l) => l.width);
  await core.trainStep(options, 0);
  const samples = [];
  const cpu = [];
  for (let s = 1; s <= steps; s++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await core.trainStep(options, s);
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  samples.sort((p, q) => p - q);
  cpu.sort((p, q) => p - q);
  console.log(
    JSON.stringify({
      ms: samples[samples.length >> 1],
      cpuMs: cpu[cpu.length >> 1],
      rssBytes: process.resourceUsage().maxRSS * 1024,
      params,
      widths,
      blas: info.blas.enabled,
      tensors: tf.memory().numTensors,
    }),
  );
  process.exit(0);
}

const variants = arg('variants', 'cpu,wasm,torch').split(',');
const torch = torchAvailable();
if (variants.includes('torch') && !torch.ok) console.log(`PyTorch peer skipped: ${torch.reason}`);
// Every variant gets the same OpenBLAS kernels: the addon sets OPENBLAS_CORETYPE (when unset) where
// OpenBLAS would not pick its AVX-512 kernels itself (packages/kernels-blas/src/environment.ts), and
// PyTorch's matMuls go through the same libopenblas (Debian's torch uses the system BLAS), which
// would otherwise choose by itself (a 1024×768×2304 product: 36 ms with the Haswell kernels, 21 ms
// with SkylakeX, on an AVX-512 EPYC).
const coreType = process.env.OPENBLAS_CORETYPE ?? coreTypeForCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
const env = {
  ...process.env,
  OPENBLAS_NUM_THREADS: '1',
  AWN_BLAS_THREADS: '1',
  ...(coreType ? { OPENBLAS_CORETYPE: coreType } : {}),
};
const self = fileURLToPath(import.meta.url);

function runTfjs(backend) {
  const res = spawnSync(process.execPath, [self, ...process.argv.slice(2), `--child=${backend}`], {
    encoding: 'utf8',
    env,
  });
  const line = (res.stdout ?? '').trim().split('\n').pop();
  if (res.status !== 0 || !line?.startsWith('{')) {
    return {
      failed: (
        (res.stderr ?? '')
          .trim()
          .split('\n')
          .find((l) => /Error|Abort/.test(l)) ?? `exit ${res.status}`
      ).slice(0, 160),
    };
  }
  return JSON.parse(line);
}

const samples = Object.fromEntries(variants.map((v) => [v, []]));
let shape;
const rounds = Number(arg('rounds', 2));
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    if (v === 'torch') {
      if (!torch.ok || !shape) continue;
      const t = runTorchDecoder({ ...shape, timed: steps }, env);
      if (t) samples.torch.push(t);
    } else {
      const t = runTfjs(v);
      samples[v].push(t);
      if (!t.failed && !shape) {
        const m = base.model;
        shape = {
          batch,
          seq: length,
          dModel: m.dModel,
          heads: m.heads,
          vocab: m.vocabSize ?? 256,
          widths: t.widths,
          params: t.params,
        };
      }
    }
  }
}

const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const gib = (b) => (b / 2 ** 30).toFixed(2);
const summary = {};
for (const v of variants) {
  const ok = samples[v].filter((s) => !s.failed);
  if (ok.length)
    summary[v] = {
      ms: median(ok.map((s) => s.ms)),
      cpuMs: median(ok.map((s) => s.cpuMs)),
      rss: median(ok.map((s) => s.rssBytes)),
      version: ok[0].version,
    };
}
console.log(
  `${base.name}${rate !== null ? ` (initialRate ${rate})` : ''}${base.model.recompute ? ', awn with model.recompute' : ''}: ${base.model.blocks} blocks, d_model ${base.model.dModel}, ${base.model.heads} heads, ` +
    `batch ${batch} × ${length} tokens, ${shape ? `${(shape.params / 1e6).toFixed(1)}M parameters, FFN widths ${shape.widths[0]}…` : ''}; ` +
    `${rounds} rounds × ${steps} timed steps, medians\n`,
);
console.log(
  '| variant | ms/step | tokens/s | peak RSS GiB | step / PyTorch | CPU ms/step | CPU / PyTorch | RSS / PyTorch |\n|---|---|---|---|---|---|---|---|',
);
const t = summary.torch;
for (const v of variants) {
  const s = summary[v];
  const failed = samples[v].find((x) => x.failed);
  if (!s) {
    console.log(`| ${v} | ${failed ? `failed: ${failed.failed}` : 'skipped'} | | | | | | |`);
    continue;
  }
  const label = v === 'torch' ? `PyTorch ${s.version}, 1 thread` : `tfjs ${v} + native kernels`;
  console.log(
    `| ${label} | ${fmt(s.ms)} | ${fmt((batch * length * 1000) / s.ms, 0)} | ${gib(s.rss)} | ` +
      `${t ? fmt(s.ms / t.ms, 2) : 'n/a'} | ${fmt(s.cpuMs, 0)} | ${t ? fmt(s.cpuMs / t.cpuMs, 2) : 'n/a'} | ` +
      `${t ? fmt(s.rss / t.rss, 2) : 'n/a'} |`,
  );
}
