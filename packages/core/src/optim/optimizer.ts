import { hostKernels } from './host-kernels.js';
import type { Parameter } from '../params/parameter.js';

/** Serialisable optimizer settings. */
export type OptimizerConfig =
  | {
      type: 'adam';
      learningRate: number;
      beta1?: number;
      beta2?: number;
      epsilon?: number;
      clipNorm?: number;
      /** L2 penalty added to the gradient as in torch.optim.Adam (`weight_decay`), on every parameter. */
      weightDecay?: number;
    }
  | { type: 'sgd'; learningRate: number; momentum?: number; nesterov?: boolean; clipNorm?: number };

/**
 * A width-aware optimizer: its state lives in each parameter's slots (same capacity layout as
 * the values), so when a layer resizes, the moments of retained entries stay bit for bit, new
 * entries start at zero, and the step count carries on.
 */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Number of updates applied so far (Adam's bias correction uses it). */
  stepCount: number;
  /**
   * Applies one update from a flat gradient laid out as the concatenation of each parameter's
   * packed active block, in `params` order (see {@link flatLayout}).
   */
  apply(params: readonly Parameter[], gradient: Float32Array): void;
  /** Names of the per-parameter slots this optimizer keeps. */
  readonly slotNames: readonly string[];
}

/** Offsets of each parameter in a flat gradient, and its total length. */
export function flatLayout(params: readonly Parameter[]): { offsets: number[]; length: number } {
  const offsets: number[] = [];
  let length = 0;
  for (const p of params) {
    offsets.push(length);
    length += p.size;
  }
  return { offsets, length };
}

/** Scale that clips the global L2 norm of `gradient` to `clipNorm` (1 when under it or unset). */
export function clipScale(gradient: Float32Array, clipNorm: number | undefined): number {
  if (clipNorm === undefined) return 1;
  const native = hostKernels();
  let sq = native ? native.sumSquares(gradient) : 0;
  if (!native) for (let i = 0; i < gradient.length; i++) sq += gradient[i] * gradient[i];
  const norm = Math.sqrt(sq);
  return norm > clipNorm ? clipNorm / norm : 1;
}

/** Checks a flat gradient matches the parameters it claims to update. */
export function checkGradientLength(params: readonly Parameter[], gradient: Float32Array): void {
  const { length } = flatLayout(params);
  if (gradient.length !== length)
    throw new RangeError(`gradient has ${gradient.length} values, parameters have ${length}`);
}
