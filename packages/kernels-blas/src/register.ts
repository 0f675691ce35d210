import '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';
import { escapingConfig, setPoolActive, unwrapOtherCpuKernels, wrapOtherCpuKernels } from './cpu-escape.js';
import { registerFusedKernels, unregisterFusedKernels } from './fused-kernels.js';
import { MATMUL_KERNELS, opKernelsFor, replacementFor } from './kernel-lists.js';
import type { NativeBackendName } from './store.js';

export { CPU_OP_KERNELS, OP_KERNELS, opKernelsFor } from './kernel-lists.js';
export { clearCpuPool, cpuPoolStats } from './cpu-escape.js';

export interface RegisterOptions {
  /**
   * The tfjs backend whose kernels to replace (default 'wasm'). 'wasm' keeps tensors in its heap
   * (4 GiB at most); 'cpu' keeps each tensor in its own ArrayBuffer, so models larger than the
   * wasm heap train at the same native speed. The backend's package must be imported first
   * (`@tensorflow/tfjs-backend-cpu` for 'cpu'; this package imports the wasm one).
   */
  backend?: NativeBackendName;
  /** OpenBLAS threads for this process (default AWN_BLAS_THREADS, else 1). */
  threads?: number;
  /**
   * Also replace the non-matMul kernels ({@link opKernelsFor}) with the addon's native float32
   * ones (default true unless AWN_BLAS_OPS=0). false puts the backend's own back.
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
  /** Kernels currently replaced on the backend asked about. */
  kernels: string[];
  /** OpenBLAS's build description, when loaded. */
  config?: string;
  /** Fused kernels added on that backend (src/fused-kernels.ts; they replace none of tfjs's). */
  fused: string[];
}

/** Originals of the kernels replaced, per backend. */
const originals: Record<NativeBackendName, Map<string, KernelConfig>> = { wasm: new Map(), cpu: new Map() };
/** The fused kernels (src/fused-kernels.ts) registered per backend: added, not replacing any. */
const fused: Record<NativeBackendName, Set<string>> = { wasm: new Set(), cpu: new Set() };
const last: Record<NativeBackendName, BlasRegistration> = {
  wasm: { enabled: false, reason: 'not registered', threads: 0 },
  cpu: { enabled: false, reason: 'not registered', threads: 0 },
};

function restore(backend: NativeBackendName, name: string): void {
  const original = originals[backend].get(name);
  if (!original) return;
  unregisterKernel(name, backend);
  registerKernel(original);
  originals[backend].delete(name);
}

/**
 * Replaces the backend's BatchMatMul and _FusedMatMul with OpenBLAS-backed kernels (and, unless
 * opts.ops is false or AWN_BLAS_OPS=0, the op kernels of {@link opKernelsFor}). Never throws: when
 * disabled (AWN_DISABLE_BLAS=1), when the addon is not built or libopenblas is missing, it leaves
 * the backend's kernels in place and says why. Calling it again updates the thread count.
 */
export function registerBlasKernels(opts: RegisterOptions = {}): BlasRegistration {
  const backend = opts.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu')
    throw new RangeError(`registerBlasKernels: backend must be 'wasm' or 'cpu', got '${String(backend)}'`);
  if (process.env.AWN_DISABLE_BLAS === '1') {
    unregisterBlasKernels(backend);
    return (last[backend] = { enabled: false, reason: 'disabled', threads: 0 });
  }
  const threads = resolveThreads(opts.threads, process.env.AWN_BLAS_THREADS);
  prepareBlasEnvironment(threads); // before the first load: OpenBLAS reads it in its constructor
  const load = loadAddon();
  if (!load.addon) return (last[backend] = { enabled: false, reason: load.reason, threads: 0 });
  const { addon } = load;
  const inEffect = addon.setThreads(threads);
  const ops = opts.ops ?? process.env.AWN_BLAS_OPS !== '0';
  const opNames = opKernelsFor(backend);
  if (!ops) for (const name of opNames) restore(backend, name);
  if (backend === 'cpu') unwrapOtherCpuKernels();
  for (const name of ops ? [...MATMUL_KERNELS, ...opNames] : MATMUL_KERNELS) {
    if (originals[backend].has(name)) continue; // already ours
    const original = getKernel(name, backend);
    if (!original) {
      unregisterBlasKernels(backend);
      return (last[backend] = {
        enabled: false,
        reason: `${backend} backend has no ${name} kernel to replace`,
        threads: 0,
      });
    }
    // On cpu the fallback path escapes its inputs too: it is tfjs's own kernel.
    const replacement = replacementFor(name, addon, backend === 'cpu' ? escapingConfig(original) : original, backend);
    unregisterKernel(name, backend);
    registerKernel(replacement);
    originals[backend].set(name, original);
  }
  fused[backend] = ops ? new Set(registerFusedKernels(addon, backend)) : new Set();
  if (!ops) unregisterFusedKernels(backend);
  if (backend === 'cpu') {
    wrapOtherCpuKernels((name) => originals.cpu.has(name) || fused.cpu.has(name));
    setPoolActive(true);
  }
  return (last[backend] = { enabled: true, coreType: addon.info().corename, threads: inEffect });
}

/** Puts the backend's own kernels back (both backends' when none is named). Safe when nothing is registered. */
export function unregisterBlasKernels(backend?: NativeBackendName): void {
  for (const b of backend ? [backend] : (['wasm', 'cpu'] as const)) {
    if (b === 'cpu') {
      setPoolActive(false);
      unwrapOtherCpuKernels();
    }
    for (const name of [...originals[b].keys()]) restore(b, name);
    unregisterFusedKernels(b);
    fused[b].clear();
    if (last[b].enabled) last[b] = { enabled: false, reason: 'unregistered', threads: 0 };
  }
}

/** What the last register/unregister left in place on a backend (default wasm), plus what OpenBLAS reports now. */
export function blasStatus(backend: NativeBackendName = 'wasm'): BlasStatus {
  const kernels = [...originals[backend].keys()];
  const state = last[backend];
  const load = state.enabled ? loadAddon() : undefined;
  if (load?.addon) {
    const info = load.addon.info();
    return {
      ...state,
      coreType: info.corename,
      threads: info.threads,
      config: info.config,
      kernels,
      fused: [...fused[backend]],
    };
  }
  return { ...state, kernels, fused: [...fused[backend]] };
}
