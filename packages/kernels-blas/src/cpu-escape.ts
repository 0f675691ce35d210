import {
  ExpandDims,
  findBackend,
  getKernelsForBackend,
  Identity,
  Cast,
  registerKernel,
  Reshape,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { withOriginalLifecycle } from './kernels.js';
import { storeOf, type CpuTensorStore } from './store.js';

/**
 * A cpu kernel of tfjs's own, wrapped so that its float32 inputs count as escaped from the buffer
 * pool (src/pool.ts): it may return a view of an input (Slice of a contiguous block does) as
 * another tensor's data, which must then never be reused while that tensor lives.
 */
export function escapingConfig(original: KernelConfig): KernelConfig {
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

/** Wraps every cpu kernel that is not ours (`ours(name)`) nor already wrapped. */
export function wrapOtherCpuKernels(ours: (name: string) => boolean): void {
  for (const config of getKernelsForBackend('cpu')) {
    const name = config.kernelName;
    if (ours(name) || escapeWrapped.has(name) || SHARES_BY_REFCOUNT.has(name)) continue;
    unregisterKernel(name, 'cpu');
    registerKernel(escapingConfig(config));
    escapeWrapped.set(name, config);
  }
}

export function unwrapOtherCpuKernels(): void {
  for (const [name, config] of escapeWrapped) {
    unregisterKernel(name, 'cpu');
    registerKernel(config);
  }
  escapeWrapped.clear();
}

/** Turns buffer reuse on the active cpu backend on or off (off: everything is left to the GC). */
export function setPoolActive(on: boolean): void {
  const cpu = findBackend('cpu');
  if (!cpu) return;
  const { pool } = storeOf('cpu', cpu) as CpuTensorStore;
  pool.active = on;
  if (!on) pool.clear();
}

/**
 * The cpu backend's buffer pool (src/pool.ts): bytes held, hits, misses and the bytes the misses
 * allocated; undefined before cpu exists.
 */
export function cpuPoolStats(): { bytes: number; hits: number; misses: number; missedBytes: number } | undefined {
  const cpu = findBackend('cpu');
  if (!cpu) return undefined;
  const { pool } = storeOf('cpu', cpu) as CpuTensorStore;
  return { bytes: pool.bytes, hits: pool.hits, misses: pool.misses, missedBytes: pool.missedBytes };
}

/** Empties the cpu backend's buffer pool (its buffers go to the GC). */
export function clearCpuPool(): void {
  const cpu = findBackend('cpu');
  if (cpu) (storeOf('cpu', cpu) as CpuTensorStore).pool.clear();
}
