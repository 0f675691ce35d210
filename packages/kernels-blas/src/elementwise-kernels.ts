import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { withOriginalLifecycle } from './kernels.js';
import { desc, type KernelArgs, MAX_RANK, sizeOf, storeFor } from './op-common.js';

/** Transpose of float32 tensors up to rank 8, any permutation; other dtypes go to the original. */
export function nativeTransposeConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    const perm = (args.attrs?.perm ?? []) as number[];
    if (
      !x ||
      x.dtype !== 'float32' ||
      x.shape.length > MAX_RANK ||
      x.shape.length === 0 ||
      perm.length !== x.shape.length
    ) {
      return original.kernelFunc(args);
    }
    const store = storeFor(original, args);
    const rank = x.shape.length;
    return store.output(
      perm.map((p) => x.shape[p]),
      (y, yOff) => {
        for (let i = 0; i < rank; i++) {
          desc[i] = x.shape[i];
          desc[rank + i] = perm[i];
        }
        const [xb, xOff] = store.ref(x);
        addon.transpose(xb, xOff, y, yOff, desc, rank);
      },
    );
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** Binary kernels the addon computes, numbered as src/native/ops.h numbers them. */
export const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};

/** Add/Sub/Multiply/RealDiv/… of two float32 tensors with numpy broadcasting; else the original. */
export function nativeBinaryConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const op = BINARY_OPS[original.kernelName];
  if (op === undefined) throw new Error(`awn kernels-blas: no native binary op for ${original.kernelName}`);
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const rank = outShape.length;
    if (rank > MAX_RANK) return original.kernelFunc(args);
    const store = storeFor(original, args);
    return store.output(outShape, (y, yOff) => {
      // Strides per output dim, 0 where the operand is broadcast (missing leading dims or size 1).
      let sa = 1;
      let sb = 1;
      for (let i = rank - 1; i >= 0; i--) {
        const da = a.shape[i - rank + a.shape.length] ?? 1;
        const db = b.shape[i - rank + b.shape.length] ?? 1;
        desc[i] = outShape[i];
        desc[rank + i] = da === 1 ? 0 : sa;
        desc[2 * rank + i] = db === 1 ? 0 : sb;
        sa *= da;
        sb *= db;
      }
      const [ab, aOff] = store.ref(a);
      const [bb, bOff] = store.ref(b);
      addon.binary(op, ab, aOff, bb, bOff, y, yOff, desc, rank);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Sum of a float32 tensor over a contiguous block of axes (the last axis, the leading axes of a
 * bias gradient, all axes, …) without wasm's transpose; other axis sets and dtypes go to the original.
 */
export function nativeSumConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const mean = original.kernelName === 'Mean';
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32') return original.kernelFunc(args);
    const shape = x.shape;
    const axes = util
      .parseAxisParam((args.attrs?.axis ?? null) as number | number[], shape)
      .slice()
      .sort((p, q) => p - q);
    for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return original.kernelFunc(args);
    if (axes.length === 0) return original.kernelFunc(args);
    if (mean && sizeOf(axes.map((a) => shape[a])) === 0) return original.kernelFunc(args);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const outer = sizeOf(shape.slice(0, first));
    const r = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const keepDims = Boolean(args.attrs?.keepDims);
    const outShape = keepDims
      ? shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : shape.filter((_, i) => i < first || i > last);
    const store = storeFor(original, args);
    return store.output(outShape, (y, yOff) => {
      const [xb, xOff] = store.ref(x);
      // r = 0 writes zeros (a sum over nothing); tfjs's Mean over nothing is NaN, so it falls back.
      addon.sum(xb, xOff, y, yOff, outer, r, inner, mean ? 1 / r : 1);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** Softmax of float32 logits over the last axis (the only axis tfjs allows); else the original. */
export function nativeSoftmaxConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { logits } = args.inputs;
    const rank = logits?.shape.length ?? 0;
    const dim = Number(args.attrs?.dim ?? -1);
    if (!logits || logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
      return original.kernelFunc(args);
    }
    const store = storeFor(original, args);
    const cols = logits.shape[rank - 1];
    const rows = sizeOf(logits.shape) / Math.max(cols, 1);
    return store.output(logits.shape.slice(), (y, yOff) => {
      const [xb, xOff] = store.ref(logits);
      addon.rowwise(0, xb, xOff, y, yOff, rows, cols);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}
