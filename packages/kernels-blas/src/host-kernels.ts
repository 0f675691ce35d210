import { loadAddon } from './addon.js';
import { prepareBlasEnvironment, resolveThreads } from './environment.js';

/**
 * Kernels over the host's Float32Array buffers, outside any tfjs backend: @awn/core's optimizers
 * keep parameters and moments on the host at capacity (src/native/optim.h).
 */
export interface HostKernels {
  /**
   * Adam on one parameter: its [rows, cols] block at the start of values/m/v (row stride `stride`),
   * its gradient rows · cols floats from element `gradOffset` of `grad`, scaled by `scale` (clip).
   * `step` and `eps` have the bias correction folded in.
   */
  adam(
    values: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    gradOffset: number,
    rows: number,
    cols: number,
    stride: number,
    scale: number,
    beta1: number,
    beta2: number,
    step: number,
    eps: number,
  ): void;
  /** Σ g² (accumulated in double), NaN when some value is NaN or ±∞. */
  sumSquares(grad: Float32Array): number;
}

/** The host kernels, or undefined when the addon cannot load (AWN_DISABLE_BLAS=1, not built). */
export function hostKernels(): HostKernels | undefined {
  if (process.env.AWN_DISABLE_BLAS === '1') return undefined;
  prepareBlasEnvironment(resolveThreads(undefined, process.env.AWN_BLAS_THREADS));
  return loadAddon().addon ?? undefined;
}
