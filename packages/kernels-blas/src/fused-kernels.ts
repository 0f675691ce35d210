import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type KernelArgs, sizeOf } from './op-common.js';
import { storeOf, type NativeBackendName, type TensorStore } from './store.js';

/**
 * Fused kernels of a Transformer step that tfjs has no kernel for. `@awn/core` runs them (through
 * `runKernel`, inside its own custom gradients) when they are registered on the active backend and
 * falls back to plain tfjs ops otherwise; the names are the contract (packages/core/src/ops/fused.ts).
 */
export const FUSED_KERNELS = {
  /** {x, gamma, beta}, attrs {epsilon} → [y, xhat, rstd [rows, 1]] over the last axis. */
  layerNorm: 'AwnLayerNorm',
  /** {dy, xhat, rstd, gamma} → [dx, dgamma, dbeta]. */
  layerNormGrad: 'AwnLayerNormGrad',
  /** {x [batch, t, t]} → causal softmax (entries above the diagonal 0). */
  causalSoftmax: 'AwnCausalSoftmax',
  /** {y, dy}, attrs {causal} → dx = y · (dy − Σ dy·y) over the last axis. */
  softmaxGrad: 'AwnSoftmaxGrad',
  /** {logits [..., v], labels int32 [...]} → [loss [...], softmax p [..., v]]. */
  softmaxCrossEntropy: 'AwnSoftmaxCrossEntropy',
  /** {p, labels, dloss} → dlogits = dloss · (p − onehot(labels)). */
  softmaxCrossEntropyGrad: 'AwnSoftmaxCrossEntropyGrad',
  /** {z [..., w], bias [w], f [w]} → [y = relu(z + bias) · f, a = relu(z + bias)]. */
  biasReluScale: 'AwnBiasReluScale',
  /** {dy, a, f} → [dz, dbias, df = Σ_rows dy · a]. */
  biasReluScaleGrad: 'AwnBiasReluScaleGrad',
  /** {dy [..., d], ids int32 [...]}, attrs {vocab} → dtable [vocab, d] (rows of dy summed per id). */
  embeddingGrad: 'AwnEmbeddingGrad',
} as const;

/** Allocates every output first (a wasm heap may grow and move), then fills them in one call. */
function withOutputs(
  store: TensorStore,
  shapes: number[][],
  run: (refs: [ArrayBufferView, number][]) => void,
): TensorInfo[] {
  const outs: TensorInfo[] = [];
  try {
    for (const shape of shapes) outs.push(store.output(shape, () => {}));
    run(outs.map((o) => store.ref(o)));
  } catch (err) {
    for (const o of outs) store.dispose(o);
    throw err;
  }
  return outs;
}

/** The named inputs, checked for presence and dtype (a wrong call is a bug in the caller). */
function inputs(name: string, args: KernelArgs, spec: Record<string, 'float32' | 'int32'>): TensorInfo[] {
  return Object.entries(spec).map(([key, dtype]) => {
    const t = args.inputs[key];
    if (!t || t.dtype !== dtype) throw new TypeError(`${name}: input '${key}' must be a ${dtype} tensor`);
    return t;
  });
}

type Fused = (addon: BlasAddon, store: TensorStore, args: KernelArgs) => TensorInfo | TensorInfo[];

const FUNCS: Record<string, Fused> = {
  [FUSED_KERNELS.layerNorm]: (addon, store, args) => {
    const [x, g, b] = inputs(FUSED_KERNELS.layerNorm, args, { x: 'float32', gamma: 'float32', beta: 'float32' });
    const d = x.shape[x.shape.length - 1];
    if (sizeOf(g.shape) !== d || sizeOf(b.shape) !== d)
      throw new RangeError(`AwnLayerNorm: gamma/beta must have ${d} values`);
    const rows = sizeOf(x.shape) / Math.max(d, 1);
    const eps = Number(args.attrs?.epsilon ?? 1e-5);
    const rowShape = [...x.shape.slice(0, -1), 1];
    return withOutputs(store, [x.shape.slice(), x.shape.slice(), rowShape], ([y, xhat, rstd]) => {
      addon.layerNorm(...store.ref(x), ...store.ref(g), ...store.ref(b), ...y, ...xhat, ...rstd, rows, d, eps);
    });
  },
  [FUSED_KERNELS.layerNormGrad]: (addon, store, args) => {
    const spec = { dy: 'float32', xhat: 'float32', rstd: 'float32', gamma: 'float32' } as const;
    const [dy, xhat, rstd, g] = inputs(FUSED_KERNELS.layerNormGrad, args, spec);
    const d = xhat.shape[xhat.shape.length - 1];
    const rows = sizeOf(xhat.shape) / Math.max(d, 1);
    if (sizeOf(dy.shape) !== rows * d || sizeOf(rstd.shape) !== rows || sizeOf(g.shape) !== d)
      throw new RangeError('AwnLayerNormGrad: dy, xhat, rstd and gamma disagree in shape');
    return withOutputs(store, [xhat.shape.slice(), g.shape.slice(), g.shape.slice()], ([dx, dg, db]) => {
      addon.layerNormGrad(
        ...store.ref(dy),
        ...store.ref(xhat),
        ...store.ref(rstd),
        ...store.ref(g),
        ...dx,
        ...dg,
        ...db,
        rows,
        d,
      );
    });
  },
  [FUSED_KERNELS.causalSoftmax]: (addon, store, args) => {
    const [x] = inputs(FUSED_KERNELS.causalSoftmax, args, { x: 'float32' });
    const t = x.shape[x.shape.length - 1];
    if (x.shape.length < 2 || x.shape[x.shape.length - 2] !== t)
      throw new RangeError(`AwnCausalSoftmax: scores must be [..., t, t], got [${x.shape}]`);
    const batch = sizeOf(x.shape) / Math.max(t * t, 1);
    return store.output(x.shape.slice(), (y, yOff) => addon.causalSoftmax(...store.ref(x), y, yOff, batch, t));
  },
  [FUSED_KERNELS.softmaxGrad]: (addon, store, args) => {
    const [y, dy] = inputs(FUSED_KERNELS.softmaxGrad, args, { y: 'float32', dy: 'float32' });
    const cols = y.shape[y.shape.length - 1] ?? 1;
    const rows = sizeOf(y.shape) / Math.max(cols, 1);
    if (sizeOf(dy.shape) !== sizeOf(y.shape)) throw new RangeError('AwnSoftmaxGrad: y and dy differ in size');
    const causal = args.attrs?.causal ? cols : 0;
    return store.output(y.shape.slice(), (dx, dxOff) =>
      addon.softmaxGrad(...store.ref(y), ...store.ref(dy), dx, dxOff, rows, cols, causal),
    );
  },
  [FUSED_KERNELS.softmaxCrossEntropy]: (addon, store, args) => {
    const [x, labels] = inputs(FUSED_KERNELS.softmaxCrossEntropy, args, { logits: 'float32', labels: 'int32' });
    const v = x.shape[x.shape.length - 1];
    const rows = sizeOf(labels.shape);
    if (!(v > 0) || sizeOf(x.shape) !== rows * v)
      throw new RangeError(`AwnSoftmaxCrossEntropy: logits [${x.shape}] do not match labels [${labels.shape}]`);
    return withOutputs(store, [labels.shape.slice(), x.shape.slice()], ([loss, p]) => {
      addon.softmaxXent(...store.ref(x), ...store.ref(labels), ...p, ...loss, rows, v);
    });
  },
  [FUSED_KERNELS.softmaxCrossEntropyGrad]: (addon, store, args) => {
    const spec = { p: 'float32', labels: 'int32', dloss: 'float32' } as const;
    const [p, labels, dloss] = inputs(FUSED_KERNELS.softmaxCrossEntropyGrad, args, spec);
    const v = p.shape[p.shape.length - 1];
    const rows = sizeOf(labels.shape);
    if (sizeOf(p.shape) !== rows * v || sizeOf(dloss.shape) !== rows)
      throw new RangeError('AwnSoftmaxCrossEntropyGrad: p, labels and dloss disagree in shape');
    return store.output(p.shape.slice(), (dx, dxOff) =>
      addon.softmaxXentGrad(...store.ref(p), ...store.ref(labels), ...store.ref(dloss), dx, dxOff, rows, v),
    );
  },
  [FUSED_KERNELS.biasReluScale]: (addon, store, args) => {
    const [z, b, f] = inputs(FUSED_KERNELS.biasReluScale, args, { z: 'float32', bias: 'float32', f: 'float32' });
    const w = z.shape[z.shape.length - 1] ?? 0;
    if (sizeOf(b.shape) !== w || sizeOf(f.shape) !== w)
      throw new RangeError(`AwnBiasReluScale: bias and f must have ${w} values`);
    const n = w === 0 ? 0 : sizeOf(z.shape) / w;
    return withOutputs(store, [z.shape.slice(), z.shape.slice()], ([y, a]) => {
      addon.biasReluScale(...store.ref(z), ...store.ref(b), ...store.ref(f), ...y, ...a, n, w);
    });
  },
  [FUSED_KERNELS.biasReluScaleGrad]: (addon, store, args) => {
    const [dy, a, f] = inputs(FUSED_KERNELS.biasReluScaleGrad, args, { dy: 'float32', a: 'float32', f: 'float32' });
    const w = a.shape[a.shape.length - 1] ?? 0;
    if (sizeOf(dy.shape) !== sizeOf(a.shape) || sizeOf(f.shape) !== w)
      throw new RangeError('AwnBiasReluScaleGrad: dy, a and f disagree in shape');
    const n = w === 0 ? 0 : sizeOf(a.shape) / w;
    return withOutputs(store, [a.shape.slice(), [w], [w]], ([dz, db, df]) => {
      addon.biasReluScaleGrad(...store.ref(dy), ...store.ref(a), ...store.ref(f), ...dz, ...db, ...df, n, w);
    });
  },
  [FUSED_KERNELS.embeddingGrad]: (addon, store, args) => {
    const [dy, ids] = inputs(FUSED_KERNELS.embeddingGrad, args, { dy: 'float32', ids: 'int32' });
    const n = sizeOf(ids.shape);
    const width = dy.shape[dy.shape.length - 1] ?? 0;
    const vocab = Number(args.attrs?.vocab);
    if (sizeOf(dy.shape) !== n * width || !Number.isInteger(vocab) || vocab < 0)
      throw new RangeError(`AwnEmbeddingGrad: dy [${dy.shape}] does not match ids [${ids.shape}] / vocab ${vocab}`);
    return store.output([vocab, width], (dt, dtOff) =>
      addon.embeddingGrad(...store.ref(dy), ...store.ref(ids), dt, dtOff, n, width, vocab),
    );
  },
};

/** Registers the fused kernels on a backend; returns their names. */
export function registerFusedKernels(addon: BlasAddon, backend: NativeBackendName): string[] {
  for (const [name, run] of Object.entries(FUNCS)) {
    const kernelFunc: KernelFunc = (args: KernelArgs) => run(addon, storeOf(backend, args.backend), args);
    unregisterFusedKernel(name, backend);
    registerKernel({ kernelName: name, backendName: backend, kernelFunc } as KernelConfig);
  }
  return Object.keys(FUNCS);
}

function unregisterFusedKernel(name: string, backend: NativeBackendName): void {
  if (getKernel(name, backend)) unregisterKernel(name, backend);
}

/** Removes the fused kernels from a backend (safe when they are not registered). */
export function unregisterFusedKernels(backend: NativeBackendName): void {
  for (const name of Object.keys(FUNCS)) unregisterFusedKernel(name, backend);
}
