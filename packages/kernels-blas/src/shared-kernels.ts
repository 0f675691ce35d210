import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { withOriginalLifecycle } from './kernels.js';
import { type KernelArgs, storeFor } from './op-common.js';

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
