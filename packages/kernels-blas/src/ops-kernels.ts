import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { withOriginalLifecycle, type WasmBackendLike } from './kernels.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** The addon's rank limit for these kernels (src/native/ops.h AWN_MAX_RANK). */
const MAX_RANK = 8;

/** Reused descriptor buffer: shapes/strides/perms go to the addon without allocating per call. */
const desc = new Float64Array(3 * MAX_RANK);

function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('awn kernels-blas: tensor is not on the wasm backend');
  return data.memoryOffset;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Allocates a float32 output of `shape`, then lets `run` fill it from the heap (the heap view is
 * taken after makeOutput: allocating may grow wasm memory and detach older views). An empty output
 * skips the call; an error frees the output before it propagates.
 */
function withOutput(
  backend: WasmBackendLike, shape: number[], run: (heap: Uint8Array, outOff: number) => void,
): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (sizeOf(shape) === 0) return out;
  try {
    run(backend.wasm.HEAPU8, offsetOf(backend, out));
  } catch (err) {
    backend.disposeData(out.dataId, true);
    throw err;
  }
  return out;
}

/** Transpose of float32 tensors up to rank 8, any permutation; other dtypes go to the original. */
export function nativeTransposeConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    const perm = (args.attrs?.perm ?? []) as number[];
    if (!x || x.dtype !== 'float32' || x.shape.length > MAX_RANK || x.shape.length === 0 ||
      perm.length !== x.shape.length) {
      return original.kernelFunc(args);
    }
    const backend = args.backend as WasmBackendLike;
    const rank = x.shape.length;
    const xOff = offsetOf(backend, x);
    return withOutput(backend, perm.map((p) => x.shape[p]), (heap, yOff) => {
      for (let i = 0; i < rank; i++) {
        desc[i] = x.shape[i];
        desc[rank + i] = perm[i];
      }
      addon.transposeHeap(heap, xOff, yOff, desc, rank);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** Binary kernels the addon computes, numbered as src/native/ops.h numbers them. */
export const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/** Add/Sub/Multiply/RealDiv of two float32 tensors with numpy broadcasting; else the original. */
export function nativeBinaryConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const op = BINARY_OPS[original.kernelName];
  if (op === undefined) throw new Error(`awn kernels-blas: no native binary op for ${original.kernelName}`);
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const rank = outShape.length;
    if (rank > MAX_RANK) return original.kernelFunc(args);
    const backend = args.backend as WasmBackendLike;
    const aOff = offsetOf(backend, a);
    const bOff = offsetOf(backend, b);
    return withOutput(backend, outShape, (heap, yOff) => {
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
      addon.binaryHeap(heap, op, aOff, bOff, yOff, desc, rank);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Sum of a float32 tensor over a contiguous block of axes (the last axis, the leading axes of a
 * bias gradient, all axes, …) without wasm's transpose; other axis sets and dtypes go to the original.
 */
export function nativeSumConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32') return original.kernelFunc(args);
    const shape = x.shape;
    const axes = util.parseAxisParam((args.attrs?.axis ?? null) as number | number[], shape)
      .slice().sort((p, q) => p - q);
    for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return original.kernelFunc(args);
    if (axes.length === 0) return original.kernelFunc(args);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const outer = sizeOf(shape.slice(0, first));
    const r = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const keepDims = Boolean(args.attrs?.keepDims);
    const outShape = keepDims
      ? shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : shape.filter((_, i) => i < first || i > last);
    const backend = args.backend as WasmBackendLike;
    const xOff = offsetOf(backend, x);
    return withOutput(backend, outShape, (heap, yOff) => {
      if (r === 0) heap.fill(0, yOff, yOff + 4 * outer * inner); // sum over nothing is 0
      else addon.sumHeap(heap, xOff, yOff, outer, r, inner);
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
    const backend = args.backend as WasmBackendLike;
    const cols = logits.shape[rank - 1];
    const rows = sizeOf(logits.shape) / Math.max(cols, 1);
    const xOff = offsetOf(backend, logits);
    return withOutput(backend, logits.shape.slice(), (heap, yOff) => {
      addon.softmaxHeap(heap, xOff, yOff, rows, cols);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}
