import { util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { withOriginalLifecycle } from './kernels.js';
import { storeOf, type NativeBackendName } from './store.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** Element-wise kernels the addon computes, numbered as src/native/ops.h's awn_unary_op. */
export const UNARY_OPS: Record<string, number> = {
  Exp: 0,
  Log: 1,
  Neg: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
  Relu: 6,
  Step: 7,
  Reciprocal: 8,
};

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A float32 element-wise kernel in the addon (vectorised; the cpu backend calls a JS closure per
 * element, and wasm's Exp is a scalar libm loop). Step only with alpha 0 (what relu's gradient
 * uses); anything else goes to the original.
 */
export function nativeUnaryConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const op = UNARY_OPS[original.kernelName];
  if (op === undefined) throw new Error(`awn kernels-blas: no native unary op for ${original.kernelName}`);
  const name = original.backendName as NativeBackendName;
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || (original.kernelName === 'Step' && Number(args.attrs?.alpha ?? 0) !== 0)) {
      return original.kernelFunc(args);
    }
    const store = storeOf(name, args.backend);
    return store.output(x.shape.slice(), (y, yOff) => {
      const [xb, xOff] = store.ref(x);
      addon.unary(op, xb, xOff, y, yOff, sizeOf(x.shape));
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Max of float32 tensors over trailing axes (the log-softmax of the loss reduces the last one),
 * row by row in the addon; other axis sets and dtypes go to the original.
 */
export function nativeMaxConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const name = original.backendName as NativeBackendName;
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || x.shape.length === 0) return original.kernelFunc(args);
    const shape = x.shape;
    const axes = util
      .parseAxisParam((args.attrs?.reductionIndices ?? null) as number | number[], shape)
      .slice()
      .sort((p, q) => p - q);
    if (axes.length === 0) return original.kernelFunc(args);
    for (let i = 0; i < axes.length; i++)
      if (axes[i] !== shape.length - axes.length + i) return original.kernelFunc(args);
    const first = axes[0];
    const cols = sizeOf(shape.slice(first));
    const rows = sizeOf(shape.slice(0, first));
    if (cols === 0) return original.kernelFunc(args);
    const outShape = args.attrs?.keepDims ? shape.map((d, i) => (i >= first ? 1 : d)) : shape.slice(0, first);
    const store = storeOf(name, args.backend);
    return store.output(outShape, (y, yOff) => {
      const [xb, xOff] = store.ref(x);
      addon.rowwise(1, xb, xOff, y, yOff, rows, cols);
    });
  };
  return withOriginalLifecycle(original, kernelFunc);
}
