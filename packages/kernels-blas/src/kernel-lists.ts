import {
  _FusedMatMul,
  Add,
  BatchMatMul,
  Mean,
  Cast,
  Concat,
  Exp,
  GatherV2,
  getKernel,
  Identity,
  Log,
  Max,
  Maximum,
  Minimum,
  Multiply,
  Neg,
  RealDiv,
  Reciprocal,
  Relu,
  Rsqrt,
  Slice,
  Softmax,
  SplitV,
  Sqrt,
  Square,
  SquaredDifference,
  Step,
  Sub,
  Sum,
  Transpose,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { blasBatchMatMulConfig, blasFusedMatMulConfig } from './kernels.js';
import {
  BINARY_OPS,
  nativeBinaryConfig,
  nativeSoftmaxConfig,
  nativeSumConfig,
  nativeTransposeConfig,
} from './elementwise-kernels.js';
import { nativeConcatConfig, nativeGatherConfig, nativeSliceConfig, nativeSplitVConfig } from './copy-kernels.js';
import { sharedCastConfig, sharedIdentityConfig } from './shared-kernels.js';
import type { NativeBackendName } from './store.js';
import { nativeMaxConfig, nativeUnaryConfig, UNARY_OPS } from './unary-kernels.js';

/** Which tfjs kernels the addon replaces on each backend, and the replacement for each name. */
export const MATMUL_KERNELS = [BatchMatMul, _FusedMatMul] as const;
/** The native non-matMul kernels on wasm (elementwise-, copy-, shared- and unary-kernels.ts); each kept because it measured faster. */
export const OP_KERNELS: readonly string[] = [
  Transpose,
  Add,
  Sub,
  Multiply,
  RealDiv,
  Sum,
  Softmax,
  Slice,
  SplitV,
  Concat,
  Identity,
  Cast,
  Exp,
  GatherV2,
];
/**
 * The native non-matMul kernels on cpu: wasm's set (less Identity/Cast, which the cpu backend
 * already shares) plus every kernel of a Transformer step the cpu backend runs as a JS loop
 * (profile in packages/kernels-blas/README.md).
 */
export const CPU_OP_KERNELS: readonly string[] = [
  Transpose,
  Add,
  Sub,
  Multiply,
  RealDiv,
  Maximum,
  Minimum,
  SquaredDifference,
  Sum,
  Mean,
  Max,
  Softmax,
  Slice,
  SplitV,
  Concat,
  GatherV2,
  Exp,
  Log,
  Neg,
  Sqrt,
  Rsqrt,
  Square,
  Relu,
  Step,
  Reciprocal,
];

/** The op kernels replaced on a backend. */
export function opKernelsFor(backend: NativeBackendName): readonly string[] {
  return backend === 'cpu' ? CPU_OP_KERNELS : OP_KERNELS;
}

export function replacementFor(
  name: string,
  addon: BlasAddon,
  original: KernelConfig,
  backend: NativeBackendName,
): KernelConfig {
  switch (name) {
    case BatchMatMul:
      return blasBatchMatMulConfig(addon, original);
    case _FusedMatMul:
      return blasFusedMatMulConfig(addon, original, (kernel) => getKernel(kernel, backend));
    case Transpose:
      return nativeTransposeConfig(addon, original);
    case Sum:
    case Mean:
      return nativeSumConfig(addon, original);
    case Max:
      return nativeMaxConfig(addon, original);
    case Softmax:
      return nativeSoftmaxConfig(addon, original);
    case Slice:
      return nativeSliceConfig(addon, original);
    case SplitV:
      return nativeSplitVConfig(addon, original);
    case Concat:
      return nativeConcatConfig(addon, original);
    case Identity:
      return sharedIdentityConfig(original);
    case Cast:
      return sharedCastConfig(original);
    case GatherV2:
      return nativeGatherConfig(addon, original);
    default:
      if (name in UNARY_OPS) return nativeUnaryConfig(addon, original);
      if (name in BINARY_OPS) return nativeBinaryConfig(addon, original);
      throw new Error(`awn kernels-blas: no native kernel for ${name}`);
  }
}
