import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { storeOf, type NativeBackendName, type TensorStore } from './store.js';

/** Helpers shared by the native op kernels (elementwise-kernels.ts, copy-kernels.ts, fused-kernels.ts). */
export type KernelArgs = Parameters<KernelFunc>[0];

/** The addon's rank limit for these kernels (src/native/ops.h AWN_MAX_RANK). */
export const MAX_RANK = 8;

/** Reused descriptor buffer: shapes/strides/perms go to the addon without allocating per call. */
export const desc = new Float64Array(3 * MAX_RANK);

/** The store of the backend the original kernel belongs to. */
export function storeFor(original: KernelConfig, args: KernelArgs): TensorStore {
  return storeOf(original.backendName as NativeBackendName, args.backend);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Dense row-major strides of a shape, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** Copies the box of `dims` at byte xOff of x (strides xs) to byte yOff of y (strides ys). */
export function copyBox(
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
