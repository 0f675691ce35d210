import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { matMulLayout } from './layout.js';
import { storeOf, type NativeBackendName, type TensorStore } from './store.js';

export type { WasmBackendLike } from './store.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** Activations computed in the addon, numbered as src/native/gemm.h numbers them. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/** Allocates the output, then runs the product on the operands where the backend keeps them. */
function runProduct(
  addon: BlasAddon,
  store: TensorStore,
  a: TensorInfo,
  b: TensorInfo,
  attrs: NamedAttrMap,
  bias: TensorInfo | null,
  activation: number,
): TensorInfo {
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const layout = matMulLayout(a.shape, b.shape, transposeA, transposeB);
  return store.output(layout.outShape, (c, cOff) => {
    const [ab, aOff] = store.ref(a);
    const [bb, bOff] = store.ref(b);
    const [biasBuf, biasOff] = bias ? store.ref(bias) : [null, 0];
    addon.matmul(
      ab,
      aOff,
      bb,
      bOff,
      c,
      cOff,
      transposeA,
      transposeB,
      layout.m,
      layout.n,
      layout.k,
      layout.batch,
      biasBuf,
      biasOff,
      bias ? sizeOf(bias.shape) : 0,
      activation,
    );
  });
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** BatchMatMul over BLAS for float32; anything else goes to the kernel it replaces. */
export function blasBatchMatMulConfig(addon: BlasAddon, original: KernelConfig): KernelConfig {
  const name = original.backendName as NativeBackendName;
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    return runProduct(addon, storeOf(name, args.backend), a, b, args.attrs ?? {}, null, 0);
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Activations tfjs can fuse that the addon does not compute: run as the backend's own
 * element-wise kernel on the BLAS output.
 */
const ELEMENTWISE: Record<string, (args: KernelArgs, y: TensorInfo) => KernelArgs> = {
  elu: (args, y) => ({ inputs: { x: y }, backend: args.backend, attrs: {} }),
  sigmoid: (args, y) => ({ inputs: { x: y }, backend: args.backend, attrs: {} }),
  leakyrelu: (args, y) => ({
    inputs: { x: y },
    backend: args.backend,
    attrs: { alpha: args.attrs?.leakyreluAlpha ?? 0.2 },
  }),
  prelu: (args, y) => ({
    inputs: { x: y, alpha: args.inputs.preluActivationWeights },
    backend: args.backend,
    attrs: {},
  }),
};
const ELEMENTWISE_KERNEL: Record<string, string> = {
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/**
 * _FusedMatMul (tf.fused.matMul; tfjs-core's plain matMul and its gradients never use it, fused
 * Dense layers do) over BLAS for float32 with no bias or a bias of one value per output column (or
 * a single value). linear/relu/relu6 are applied in the addon; elu/sigmoid/leakyrelu/prelu by the
 * backend's own element-wise kernel afterwards. Other dtypes and bias shapes go to the original.
 * (Besides speed this fixes a wasm bug: its own kernel mis-applies the bias when batch > 1.)
 */
export function blasFusedMatMulConfig(
  addon: BlasAddon,
  original: KernelConfig,
  kernelFor: (name: string) => KernelConfig | undefined,
): KernelConfig {
  const backendName = original.backendName as NativeBackendName;
  const kernelFunc: KernelFunc = (args: KernelArgs) => {
    const { a, b, bias } = args.inputs;
    if (!a || !b) return original.kernelFunc(args);
    const attrs = args.attrs ?? {};
    const name = String(attrs.activation ?? 'linear');
    const native = ACTIVATIONS[name];
    const post = native === undefined ? kernelFor(ELEMENTWISE_KERNEL[name] ?? '') : undefined;
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const biasOk =
      bias == null ||
      (bias.dtype === 'float32' &&
        (sizeOf(bias.shape) === 1 || (sizeOf(bias.shape) === n && bias.shape[bias.shape.length - 1] === n)));
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !biasOk || (native === undefined && !post)) {
      return original.kernelFunc(args);
    }
    const store = storeOf(backendName, args.backend);
    const y = runProduct(addon, store, a, b, attrs, bias ?? null, native ?? 0);
    if (!post) return y;
    try {
      return post.kernelFunc(ELEMENTWISE[name](args, y));
    } finally {
      store.dispose(y);
    }
  };
  return withOriginalLifecycle(original, kernelFunc);
}

/**
 * Keeps the original's setup/dispose hooks: if the wasm backend initialises after we register,
 * the engine runs our config's setupFunc, and the original kernel (our fallback) needs its own
 * setup (it binds its wasm function there) to have run.
 */
export function withOriginalLifecycle(original: KernelConfig, kernelFunc: KernelFunc): KernelConfig {
  return {
    kernelName: original.kernelName,
    backendName: original.backendName,
    kernelFunc,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
  };
}
