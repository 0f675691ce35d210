import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { withOriginalLifecycle } from './kernels.js';
import { storeOf, type NativeBackendName, type TensorStore } from './store.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** The addon's rank limit for these kernels (src/native/ops.h AWN_MAX_RANK). */
const MAX_RANK = 8;

/** Reused descriptor buffer: shapes/strides/perms go to the addon without allocating per call. */
const desc = new Float64Array(3 * MAX_RANK);

/** The store of the backend the original kernel belongs to. */
function storeFor(original: KernelConfig, args: KernelArgs): TensorStore {
  return storeOf(original.backendName as NativeBackendName, args.backend);
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

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

/** Dense row-major strides of a shape, in elements. */
function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** Copies the box of `dims` at byte xOff of x (strides xs) to byte yOff of y (strides ys). */
function copyBox(
  addon: BlasAddon,
  x: ArrayBufferView,
  xOff: number,
  y: ArrayBufferView,
  yOff: number,
  dims: readonly number[],
  xs: readonly number[],
  ys: readonly number[],
): void {
  const rank = dims.length;
  for (let i = 0; i < rank; i++) {
    desc[i] = dims[i];
    desc[rank + i] = xs[i];
    desc[2 * rank + i] = ys[i];
  }
  addon.copyStrided(x, xOff, y, yOff, desc, rank);
}

/** One float32 slice [begin, begin + size) of x into a new dense tensor. */
function sliceOf(addon: BlasAddon, store: TensorStore, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const xStrides = stridesOf(x.shape);
  let flat = 0;
  for (let i = 0; i < begin.length; i++) flat += begin[i] * xStrides[i];
  return store.output(size, (y, yOff) => {
    const [xb, xOff] = store.ref(x);
    copyBox(addon, xb, xOff + 4 * flat, y, yOff, size, xStrides, stridesOf(size));
  });
}

/** Slice of float32 tensors up to rank 8 as one strided copy (wasm copies row by row in JS). */
export function nativeSliceConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || x.shape.length === 0 || x.shape.length > MAX_RANK)
      return original.kernelFunc(args);
    const [begin, size] = slice_util.parseSliceParams(
      x,
      (args.attrs?.begin ?? []) as number | number[],
      (args.attrs?.size ?? []) as number | number[],
    );
    return sliceOf(addon, storeFor(original, args), x, begin, size);
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** SplitV (tf.split) of float32 tensors: one strided copy per piece. */
export function nativeSplitVConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || x.shape.length === 0 || x.shape.length > MAX_RANK)
      return original.kernelFunc(args);
    const axis = util.parseAxisParam((args.attrs?.axis ?? 0) as number, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(
      x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0],
      (args.attrs?.numOrSizeSplits ?? []) as number | number[],
      axis,
    );
    const store = storeFor(original, args);
    const begin = new Array<number>(x.shape.length).fill(0);
    const outs: TensorInfo[] = [];
    try {
      for (const s of sizes) {
        const size = x.shape.slice();
        size[axis] = s;
        outs.push(sliceOf(addon, store, x, begin.slice(), size));
        begin[axis] += s;
      }
    } catch (err) {
      for (const o of outs) store.dispose(o);
      throw err;
    }
    return outs;
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** Concat of float32 tensors (all float32, rank ≤ 8): each input one strided copy into place. */
export function nativeConcatConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (!Array.isArray(inputs) || inputs.length === 0) return original.kernelFunc(args);
    for (const t of inputs) {
      if (t.dtype !== 'float32' || t.shape.length === 0 || t.shape.length > MAX_RANK) return original.kernelFunc(args);
    }
    const nonEmpty = inputs.filter((t) => sizeOf(t.shape) > 0);
    if (nonEmpty.length < 2) return original.kernelFunc(args); // wasm's identity path
    const axis = util.parseAxisParam((args.attrs?.axis ?? 0) as number, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, axis);
    const outShape = backend_util.computeOutShape(shapes, axis);
    const store = storeFor(original, args);
    return store.output(outShape, (y, yOff) => {
      const ys = stridesOf(outShape);
      let along = 0;
      for (const t of nonEmpty) {
        const [xb, xOff] = store.ref(t);
        copyBox(addon, xb, xOff, y, yOff + 4 * along * ys[axis], t.shape, stridesOf(t.shape), ys);
        along += t.shape[axis];
      }
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Identity (tf.clone, customGrad outputs, gradient pass-throughs) of float32 tensors without a
 * copy: the output shares the input's heap buffer by reference count, as wasm's own Reshape and
 * the cpu backend's Identity do (wasm's Identity copies). Tensors are immutable, so sharing is safe.
 */
export function sharedIdentityConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32') return original.kernelFunc(args);
    return storeFor(original, args).share(x);
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/** Cast float32 → float32 (a no-op tfjs still dispatches) without a copy; other casts: original. */
export function sharedCastConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || args.attrs?.dtype !== 'float32') return original.kernelFunc(args);
    return storeFor(original, args).share(x);
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * GatherV2 (tf.gather: embedding lookups) of float32 params with int32 indices along any axis,
 * batchDims 0, as one row copy per index; an index outside [0, n) throws as wasm's own does.
 */
export function nativeGatherConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x, indices } = args.inputs;
    if (
      !x ||
      !indices ||
      x.dtype !== 'float32' ||
      indices.dtype !== 'int32' ||
      Number(args.attrs?.batchDims ?? 0) !== 0 ||
      x.shape.length === 0
    ) {
      return original.kernelFunc(args);
    }
    const axis = util.parseAxisParam((args.attrs?.axis ?? 0) as number, x.shape)[0];
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const store = storeFor(original, args);
    return store.output(outShape, (y, yOff) => {
      const [xb, xOff] = store.ref(x);
      const [ib, iOff] = store.ref(indices);
      addon.gather(
        xb,
        xOff,
        ib,
        iOff,
        y,
        yOff,
        sizeOf(x.shape.slice(0, axis)),
        x.shape[axis],
        sizeOf(x.shape.slice(axis + 1)),
        sizeOf(indices.shape),
      );
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}
