#!/usr/bin/env node
// OpenBLAS matMul for the tfjs wasm backend (@awn/kernels-blas): what the kernel path costs over a
// direct sgemm, what it gains over wasm's own kernel, and what that means for one MLP training step,
// with PyTorch (CPU, same thread count) as a peer when Debian's python3-torch is importable.
//   node bench/blas-matmul.bench.mjs [--quick]
// Build first: npx tsc -b packages/kernels-blas && npm run build:addon -w @awn/kernels-blas
// Threads: AWN_BLAS_THREADS (default 1, as data-parallel training runs one process per core).
import '@tensorflow/tfjs'; // registers tfjs-core's gradients on the shared engine (Node build has none)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import {
  blasAvailable,
  blasStatus,
  registerBlasKernels,
  sgemm,
  unregisterBlasKernels,
} from '../packages/kernels-blas/dist/index.js';
import { fmt } from './lib/stats.mjs';

const quick = process.argv.includes('--quick');
const threads = Number(process.env.AWN_BLAS_THREADS ?? 1);

/** Median milliseconds per call of fn, after warmup, over at least minReps calls or minMs. */
function timeMs(fn, { warmup = 2, minReps = quick ? 3 : 7, minMs = quick ? 200 : 1000, maxReps = 200 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  const start = performance.now();
  while (samples.length < maxReps && (samples.length < minReps || performance.now() - start < minMs)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

await tf.setBackend('wasm');
const avail = blasAvailable();
if (!avail.available) {
  console.log(`OpenBLAS addon unavailable (${avail.reason}); nothing to compare.`);
  process.exit(0);
}
const reg = registerBlasKernels({ threads });
const status = blasStatus();
console.log(`OpenBLAS: ${status.config}`);
console.log(`core ${reg.coreType}, ${reg.threads} thread(s); tfjs ${tf.version_core} on ${tf.getBackend()}\n`);

// --- matMul 128x1024x1024 -------------------------------------------------------------------------
const [M, N, K] = [128, 1024, 1024];
const gflop = (2 * M * N * K) / 1e9;
console.log(`matMul ${M}x${N}x${K} (GFLOP/s, median)`);
console.log('case  tfjs+blas   sgemm   ratio   wasm-own   blas/wasm');
const results = {};
for (const [ta, tb] of [
  [false, false],
  [false, true],
  [true, false],
]) {
  const name = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
  const aData = rand(M * K);
  const bData = rand(K * N);
  const a = tf.tensor(aData, ta ? [K, M] : [M, K]);
  const b = tf.tensor(bData, tb ? [N, K] : [K, N]);
  const c = new Float32Array(M * N);
  registerBlasKernels({ threads });
  const viaTfjs = timeMs(() => tf.matMul(a, b, ta, tb).dispose());
  const direct = timeMs(() => sgemm(ta, tb, M, N, K, 1, aData, bData, 0, c));
  unregisterBlasKernels();
  const own = timeMs(() => tf.matMul(a, b, ta, tb).dispose(), { warmup: 1, minReps: 3, minMs: quick ? 100 : 500 });
  registerBlasKernels({ threads });
  tf.dispose([a, b]);
  results[name] = { tfjsBlas: gflop / (viaTfjs / 1e3), sgemm: gflop / (direct / 1e3), wasm: gflop / (own / 1e3) };
  const r = results[name];
  console.log(
    `${name}    ${fmt(r.tfjsBlas).padStart(8)} ${fmt(r.sgemm).padStart(8)}   ${fmt(r.tfjsBlas / r.sgemm, 2).padStart(5)}` +
      `   ${fmt(r.wasm).padStart(8)}   ${fmt(r.tfjsBlas / r.wasm).padStart(8)}x`,
  );
}

// --- MLP training step ----------------------------------------------------------------------------
const LAYERS = [784, 1024, 1024, 10];
const BATCH = 128;
const LR = 0.01;

function initParams() {
  const ps = [];
  for (let i = 0; i + 1 < LAYERS.length; i++) {
    const scale = Math.sqrt(2 / LAYERS[i]);
    ps.push(tf.mul(tf.tensor(rand(LAYERS[i] * LAYERS[i + 1]), [LAYERS[i], LAYERS[i + 1]]), scale));
    ps.push(tf.zeros([LAYERS[i + 1]]));
  }
  return ps;
}

function mlpStepRunner() {
  const x = tf.tensor(rand(BATCH * LAYERS[0]), [BATCH, LAYERS[0]]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  let params = initParams();
  const loss = (...ps) => {
    let h = x;
    for (let i = 0; i < ps.length; i += 2) {
      h = tf.add(tf.matMul(h, ps[i]), ps[i + 1]);
      if (i + 2 < ps.length) h = tf.relu6(h);
    }
    return tf.losses.softmaxCrossEntropy(labels, h);
  };
  const valueAndGrads = tf.valueAndGrads(loss);
  let lastLoss = NaN;
  const step = () => {
    const { value, next } = tf.tidy(() => {
      const { value, grads } = valueAndGrads(params);
      return { value, next: params.map((p, i) => tf.sub(p, tf.mul(grads[i], LR))) };
    });
    tf.dispose(params);
    params = next;
    lastLoss = value.dataSync()[0]; // also a sync point
    value.dispose();
  };
  const dispose = () => tf.dispose([x, labels, ...params]);
  return { step, dispose, loss: () => lastLoss };
}

console.log(`\nMLP step ${LAYERS.join('->')}, batch ${BATCH}: matMul+add+relu6, softmax CE, tf.grads, SGD`);
const mlp = {};
const MLP_MODES = {
  ops: ['+ OpenBLAS + native ops (default)', () => registerBlasKernels({ threads })],
  blas: ['+ OpenBLAS matMul only (ops: false)', () => registerBlasKernels({ threads, ops: false })],
  wasm: ['own kernels', () => unregisterBlasKernels()],
};
for (const [mode, [label, set]] of Object.entries(MLP_MODES)) {
  set();
  const runner = mlpStepRunner();
  const opts = mode === 'wasm' ? { warmup: 1, minReps: quick ? 2 : 5, minMs: quick ? 100 : 1000 } : {};
  mlp[mode] = timeMs(runner.step, opts);
  console.log(`  tfjs wasm ${label}: ${fmt(mlp[mode])} ms/step (loss ${fmt(runner.loss(), 3)})`);
  runner.dispose();
}
// matMul-only and all-on again, alternating, so the ops on/off ratio sees the same load.
for (const mode of ['blas', 'ops']) {
  MLP_MODES[mode][1]();
  const runner = mlpStepRunner();
  mlp[mode] = Math.min(mlp[mode], timeMs(runner.step));
  runner.dispose();
}
registerBlasKernels({ threads });
console.log(
  `  speedup from the addon: ${fmt(mlp.wasm / mlp.ops)}x (matMul only: ${fmt(mlp.wasm / mlp.blas)}x; native ops on vs off: ${fmt(mlp.blas / mlp.ops, 2)}x)`,
);

// --- PyTorch peer ---------------------------------------------------------------------------------
const PY = '/usr/bin/python3';
const torchScript = `
import time, torch
torch.set_num_threads(${threads})
torch.manual_seed(0)
sizes = ${JSON.stringify(LAYERS)}
ps = []
for i in range(len(sizes) - 1):
    ps.append((torch.randn(sizes[i], sizes[i + 1]) * (2 / sizes[i]) ** 0.5).requires_grad_())
    ps.append(torch.zeros(sizes[i + 1], requires_grad=True))
x = torch.randn(${BATCH}, sizes[0])
y = torch.arange(${BATCH}) % 10
def step():
    h = x
    for i in range(0, len(ps), 2):
        h = h @ ps[i] + ps[i + 1]
        if i + 2 < len(ps):
            h = torch.clamp(h, 0, 6)
    loss = torch.nn.functional.cross_entropy(h, y)
    for p in ps:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in ps:
            p -= ${LR} * p.grad
for _ in range(3):
    step()
samples = []
t_end = time.perf_counter() + ${quick ? 0.3 : 1.5}
while len(samples) < ${quick ? 3 : 7} or time.perf_counter() < t_end:
    t0 = time.perf_counter(); step(); samples.append((time.perf_counter() - t0) * 1000)
samples.sort()
print(torch.__version__, samples[len(samples) // 2])
`;
const probe = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log(`  PyTorch: skipped (${PY} cannot import torch; Debian: apt-get install python3-torch)`);
} else {
  const res = spawnSync(PY, ['-c', torchScript], { encoding: 'utf8' });
  const [version, ms] = (res.stdout ?? '').trim().split(/\s+/);
  if (res.status !== 0 || !ms) {
    console.log(`  PyTorch: failed (${(res.stderr ?? '').trim().split('\n').pop()})`);
  } else {
    const torchMs = Number(ms);
    console.log(`  PyTorch ${version} CPU, ${threads} thread(s): ${fmt(torchMs)} ms/step`);
    console.log(
      `  tfjs+OpenBLAS+ops vs PyTorch: ${fmt(torchMs / mlp.ops, 2)}x PyTorch's speed (matMul only: ${fmt(torchMs / mlp.blas, 2)}x)`,
    );
  }
}
