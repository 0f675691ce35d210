import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { withOriginalLifecycle } from './kernels.js';
import { copyBox, type KernelArgs, MAX_RANK, sizeOf, storeFor, stridesOf } from './op-common.js';
import type { TensorStore } from './store.js';

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
