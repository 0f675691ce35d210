import '@tensorflow/tfjs-backend-wasm';
import {
  _FusedMatMul, Add, BatchMatMul, Cast, Concat, Exp, GatherV2, getKernel, Identity, Multiply, RealDiv, registerKernel, Slice,
  Softmax, SplitV, Sub, Sum, Transpose, unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';
import type { BlasAddon } from './addon.js';
import { blasBatchMatMulConfig, blasFusedMatMulConfig } from './kernels.js';
import {
  nativeBinaryConfig, nativeConcatConfig, nativeExpConfig, nativeGatherConfig, nativeSliceConfig, nativeSoftmaxConfig, nativeSplitVConfig, nativeSumConfig,
  nativeTransposeConfig, sharedCastConfig, sharedIdentityConfig,
} from './ops-kernels.js';

export interface RegisterOptions {
  /** The only backend with a heap we can address; accepted for clarity at call sites. */
  backend?: 'wasm';
  /** OpenBLAS threads for this process (default AWN_BLAS_THREADS, else 1). */
  threads?: number;
  /**
   * Also replace Transpose, Add/Sub/Multiply/RealDiv, Sum, Softmax, Slice, SplitV, Concat, Exp and
   * GatherV2 with the addon's native float32 kernels, and Identity/Cast with copy-free ones (default true unless AWN_BLAS_OPS=0). false puts wasm's own back.
   */
  ops?: boolean;
}

export interface BlasRegistration {
  enabled: boolean;
  /** Why the fast path is off; absent when enabled. */
  reason?: string;
  /** OpenBLAS's kernel family in use (e.g. SkylakeX), when loaded. */
  coreType?: string;
  /** OpenBLAS threads in effect; 0 when disabled. */
  threads: number;
}

export interface BlasStatus extends BlasRegistration {
  /** Kernels currently replaced on the wasm backend. */
  kernels: string[];
  /** OpenBLAS's build description, when loaded. */
  config?: string;
}

const KERNELS = [BatchMatMul, _FusedMatMul] as const;
/** The native non-matMul kernels (src/ops-kernels.ts); each kept because it measured faster. */
export const OP_KERNELS: readonly string[] = [
  Transpose, Add, Sub, Multiply, RealDiv, Sum, Softmax, Slice, SplitV, Concat, Identity, Cast, Exp, GatherV2,
];

function replacementFor(name: string, addon: BlasAddon, original: KernelConfig): KernelConfig {
  switch (name) {
    case BatchMatMul: return blasBatchMatMulConfig(addon, original);
    case _FusedMatMul: return blasFusedMatMulConfig(addon, original, (kernel) => getKernel(kernel, 'wasm'));
    case Transpose: return nativeTransposeConfig(addon, original);
    case Sum: return nativeSumConfig(addon, original);
    case Softmax: return nativeSoftmaxConfig(addon, original);
    case Slice: return nativeSliceConfig(addon, original);
    case SplitV: return nativeSplitVConfig(addon, original);
    case Concat: return nativeConcatConfig(addon, original);
    case Identity: return sharedIdentityConfig(original);
    case Cast: return sharedCastConfig(original);
    case Exp: return nativeExpConfig(addon, original);
    case GatherV2: return nativeGatherConfig(addon, original);
    default: return nativeBinaryConfig(addon, original);
  }
}

function restore(name: string): void {
  const original = originals.get(name);
  if (!original) return;
  unregisterKernel(name, 'wasm');
  registerKernel(original);
  originals.delete(name);
}
const originals = new Map<string, KernelConfig>();
let last: BlasRegistration = { enabled: false, reason: 'not registered', threads: 0 };

/**
 * Replaces the wasm backend's BatchMatMul and _FusedMatMul with OpenBLAS-backed kernels (and,
 * unless opts.ops is false or AWN_BLAS_OPS=0, Transpose, Add/Sub/Multiply/RealDiv, Sum and Softmax
 * with the addon's native ones). Never
 * throws: when disabled (AWN_DISABLE_BLAS=1), when the addon is not built or libopenblas is missing,
 * it leaves wasm's kernels in place and says why. Calling it again updates the thread count.
 */
export function registerBlasKernels(opts: RegisterOptions = {}): BlasRegistration {
  if (process.env.AWN_DISABLE_BLAS === '1') {
    unregisterBlasKernels();
    return (last = { enabled: false, reason: 'disabled', threads: 0 });
  }
  const threads = resolveThreads(opts.threads, process.env.AWN_BLAS_THREADS);
  prepareBlasEnvironment(threads); // before the first load: OpenBLAS reads it in its constructor
  const load = loadAddon();
  if (!load.addon) return (last = { enabled: false, reason: load.reason, threads: 0 });
  const { addon } = load;
  const inEffect = addon.setThreads(threads);
  const ops = opts.ops ?? process.env.AWN_BLAS_OPS !== '0';
  if (!ops) for (const name of OP_KERNELS) restore(name);
  for (const name of ops ? [...KERNELS, ...OP_KERNELS] : KERNELS) {
    if (originals.has(name)) continue; // already ours
    const original = getKernel(name, 'wasm');
    if (!original) {
      unregisterBlasKernels();
      return (last = { enabled: false, reason: `wasm backend has no ${name} kernel to replace`, threads: 0 });
    }
    const replacement = replacementFor(name, addon, original);
    unregisterKernel(name, 'wasm');
    registerKernel(replacement);
    originals.set(name, original);
  }
  return (last = { enabled: true, coreType: addon.info().corename, threads: inEffect });
}

/** Puts wasm's own kernels back. Safe to call when nothing is registered. */
export function unregisterBlasKernels(): void {
  for (const name of [...originals.keys()]) restore(name);
  if (last.enabled) last = { enabled: false, reason: 'unregistered', threads: 0 };
}

/** What the last register/unregister left in place, plus what OpenBLAS reports now. */
export function blasStatus(): BlasStatus {
  const kernels = [...originals.keys()];
  const load = last.enabled ? loadAddon() : undefined;
  if (load?.addon) {
    const info = load.addon.info();
    return { ...last, coreType: info.corename, threads: info.threads, config: info.config, kernels };
  }
  return { ...last, kernels };
}
