import '@tensorflow/tfjs-backend-wasm';
import { _FusedMatMul, BatchMatMul, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';
import { blasBatchMatMulConfig, blasFusedMatMulConfig } from './kernels.js';

export interface RegisterOptions {
  /** The only backend with a heap we can address; accepted for clarity at call sites. */
  backend?: 'wasm';
  /** OpenBLAS threads for this process (default AWN_BLAS_THREADS, else 1). */
  threads?: number;
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
const originals = new Map<string, KernelConfig>();
let last: BlasRegistration = { enabled: false, reason: 'not registered', threads: 0 };

/**
 * Replaces the wasm backend's BatchMatMul and _FusedMatMul with OpenBLAS-backed kernels. Never
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
  for (const name of KERNELS) {
    if (originals.has(name)) continue; // already ours
    const original = getKernel(name, 'wasm');
    if (!original) {
      unregisterBlasKernels();
      return (last = { enabled: false, reason: `wasm backend has no ${name} kernel to replace`, threads: 0 });
    }
    const replacement = name === BatchMatMul
      ? blasBatchMatMulConfig(addon, original)
      : blasFusedMatMulConfig(addon, original, (kernel) => getKernel(kernel, 'wasm'));
    unregisterKernel(name, 'wasm');
    registerKernel(replacement);
    originals.set(name, original);
  }
  return (last = { enabled: true, coreType: addon.info().corename, threads: inEffect });
}

/** Puts wasm's own kernels back. Safe to call when nothing is registered. */
export function unregisterBlasKernels(): void {
  for (const [name, original] of originals) {
    unregisterKernel(name, 'wasm');
    registerKernel(original);
  }
  originals.clear();
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
