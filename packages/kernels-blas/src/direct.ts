import { loadAddon } from './addon.js';
import type { BlasAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';

let loaded: BlasAddon | undefined;

/** The addon, preparing the environment only before the first load (sgemm sits in timed loops). */
function addonOrThrow(): BlasAddon {
  if (loaded) return loaded;
  prepareBlasEnvironment(resolveThreads(undefined, process.env.AWN_BLAS_THREADS));
  const load = loadAddon();
  if (!load.addon) throw new Error(`@awn/kernels-blas: ${load.reason}`);
  loaded = load.addon;
  return loaded;
}

/** Whether the addon loads here (without registering anything), and why not. */
export function blasAvailable(): { available: boolean; reason?: string } {
  if (process.env.AWN_DISABLE_BLAS === '1') return { available: false, reason: 'disabled' };
  prepareBlasEnvironment(resolveThreads(undefined, process.env.AWN_BLAS_THREADS));
  const load = loadAddon();
  return load.addon ? { available: true } : { available: false, reason: load.reason };
}

/**
 * Direct OpenBLAS sgemm on dense row-major Float32Arrays: C = alpha * op(A) op(B) + beta * C, with
 * A [m, k] (or [k, m] when transA), B [k, n] (or [n, k] when transB), C [m, n]. The benchmark's
 * yardstick for the tfjs kernel path. Throws when the addon is unavailable.
 */
export function sgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  beta: number,
  c: Float32Array,
): void {
  addonOrThrow().sgemm(transA, transB, m, n, k, alpha, a, b, beta, c);
}
