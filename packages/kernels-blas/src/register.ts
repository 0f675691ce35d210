import '@tensorflow/tfjs-backend-wasm';
import {
  _FusedMatMul,
  Add,
  BatchMatMul,
  Mean,
  Reshape,
  ExpandDims,
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
  registerKernel,
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
  unregisterKernel,
  getKernelsForBackend,
  findBackend,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';
import type { BlasAddon } from './addon.js';
import { blasBatchMatMulConfig, blasFusedMatMulConfig } from './kernels.js';
import {
  BINARY_OPS,
  nativeBinaryConfig,
  nativeConcatConfig,
  nativeGatherConfig,
  nativeSliceConfig,
  nativeSoftmaxConfig,
  nativeSplitVConfig,
  nativeSumConfig,
  nativeTransposeConfig,
  sharedCastConfig,
  sharedIdentityConfig,
} from './ops-kernels.js';
import { storeOf, type CpuTensorStore, type NativeBackendName } from './store.js';
import { withOriginalLifecycle } from './kernels.js';
import { nativeMaxConfig, nativeUnaryConfig, UNARY_OPS } from './unary-kernels.js';

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
}

const KERNELS = [BatchMatMul, _FusedMatMul] as const;
/** The native non-matMul kernels on wasm (src/ops-kernels.ts); each kept because it measured faster. */
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

function replacementFor(
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

/**
 * A cpu kernel of tfjs's own, wrapped so that its float32 inputs count as escaped from the buffer
 * pool (src/pool.ts): it may return a view of an input (Slice of a contiguous block does) as
 * another tensor's data, which must then never be reused while that tensor lives.
 */
function escapingConfig(original: KernelConfig): KernelConfig {
  return withOriginalLifecycle(original, (args) => {
    const store = storeOf('cpu', args.backend) as CpuTensorStore;
    for (const t of Object.values(args.inputs)) if (t) store.escape(t);
    return original.kernelFunc(args);
  });
}

/** Every other cpu kernel, wrapped by {@link escapingConfig} while the native ones are registered. */
const escapeWrapped = new Map<string, KernelConfig>();
/**
 * cpu kernels that return their input's own dataId with its reference count raised (or a new
 * array): the pool sees the release only when the last holder lets go, so they need no wrapper.
 */
const SHARES_BY_REFCOUNT = new Set<string>([Reshape, Identity, Cast, ExpandDims]);

function wrapOtherCpuKernels(): void {
  for (const config of getKernelsForBackend('cpu')) {
    const name = config.kernelName;
    if (originals.cpu.has(name) || escapeWrapped.has(name) || SHARES_BY_REFCOUNT.has(name)) continue;
    unregisterKernel(name, 'cpu');
    registerKernel(escapingConfig(config));
    escapeWrapped.set(name, config);
  }
}

function unwrapOtherCpuKernels(): void {
  for (const [name, config] of escapeWrapped) {
    unregisterKernel(name, 'cpu');
    registerKernel(config);
  }
  escapeWrapped.clear();
}

/** Originals of the kernels replaced, per backend. */
const originals: Record<NativeBackendName, Map<string, KernelConfig>> = { wasm: new Map(), cpu: new Map() };
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
  for (const name of ops ? [...KERNELS, ...opNames] : KERNELS) {
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
  if (backend === 'cpu') {
    wrapOtherCpuKernels();
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
    if (last[b].enabled) last[b] = { enabled: false, reason: 'unregistered', threads: 0 };
  }
}

/** Turns buffer reuse on the active cpu backend on or off (off: everything is left to the GC). */
function setPoolActive(on: boolean): void {
  const cpu = findBackend('cpu');
  if (!cpu) return;
  const { pool } = storeOf('cpu', cpu) as CpuTensorStore;
  pool.active = on;
  if (!on) pool.clear();
}

/** The cpu backend's buffer pool (src/pool.ts): bytes held, hits and misses; undefined before cpu exists. */
export function cpuPoolStats(): { bytes: number; hits: number; misses: number } | undefined {
  const cpu = findBackend('cpu');
  if (!cpu) return undefined;
  const { pool } = storeOf('cpu', cpu) as CpuTensorStore;
  return { bytes: pool.bytes, hits: pool.hits, misses: pool.misses };
}

/** Empties the cpu backend's buffer pool (its buffers go to the GC). */
export function clearCpuPool(): void {
  const cpu = findBackend('cpu');
  if (cpu) (storeOf('cpu', cpu) as CpuTensorStore).pool.clear();
}

/** What the last register/unregister left in place on a backend (default wasm), plus what OpenBLAS reports now. */
export function blasStatus(backend: NativeBackendName = 'wasm'): BlasStatus {
  const kernels = [...originals[backend].keys()];
  const state = last[backend];
  const load = state.enabled ? loadAddon() : undefined;
  if (load?.addon) {
    const info = load.addon.info();
    return { ...state, coreType: info.corename, threads: info.threads, config: info.config, kernels };
  }
  return { ...state, kernels };
}
