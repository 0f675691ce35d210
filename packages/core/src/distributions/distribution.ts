import type * as tf from '@tensorflow/tfjs-core';

/** Which family of discretised distribution orders a layer's neurons by importance. */
export type DistributionFamily = 'exponential' | 'power-law';

/**
 * A monotonically decreasing distribution over neuron indices 0, 1, 2, … with one learned
 * parameter, stored as an unconstrained raw scalar `r` and mapped to the distribution's
 * parameter by softplus (see docs/method.md §2).
 */
export interface ImportanceDistribution {
  readonly family: DistributionFamily;
  /** Quantile of mass that the active width must cover (0 < k < 1). */
  readonly quantile: number;
  /** The distribution parameter (λ or γ) for a raw value, in float64. */
  parameter(raw: number): number;
  /** Raw value giving the distribution parameter `value` (inverse of {@link parameter}). */
  raw(value: number): number;
  /** Width D = floor(Q(k) + 2) for a raw value; carries no gradient. */
  width(raw: number): number;
  /**
   * Raw value clamped so the distribution parameter respects its lower bound, or the input
   * unchanged when there is no bound or it is respected.
   */
  project(raw: number): number;
  /** Un-normalised masses u_j = p(j) + 1e−6 for j < width, differentiable in `raw` (float32). */
  masses(raw: tf.Scalar, width: number): tf.Tensor1D;
  /** Importance f_j = u_j / Σ_{i<D} u_i, differentiable in `raw`. */
  importance(raw: tf.Scalar, width: number): tf.Tensor1D;
  /** The same masses computed in float64 on the host, for tests and host-side reporting. */
  massesHost(raw: number, width: number): Float64Array;
  /**
   * Importance f over `width` neurons and its derivative df/dr, in float64 on the host. The
   * training pass uses these instead of a chain of a dozen small tensor ops per layer (and twice
   * that in the backward pass), whose per-kernel cost dominated narrow layers.
   */
  importanceWithDerivative(raw: number, width: number): { f: Float64Array; dfdr: Float64Array };
}

/**
 * Normalises masses u and their derivatives du/dr into f = u/Σu and
 * df/dr = (du/dr · Σu − u · Σ du/dr) / (Σu)².
 */
export function normalizeWithDerivative(u: Float64Array, du: Float64Array): { f: Float64Array; dfdr: Float64Array } {
  let z = 0;
  let dz = 0;
  for (let j = 0; j < u.length; j++) {
    z += u[j];
    dz += du[j];
  }
  const f = new Float64Array(u.length);
  const dfdr = new Float64Array(u.length);
  for (let j = 0; j < u.length; j++) {
    f[j] = u[j] / z;
    dfdr[j] = (du[j] * z - u[j] * dz) / (z * z);
  }
  return { f, dfdr };
}

/** d softplus(r) / dr = sigmoid(r), computed without overflow. */
export function softplusDerivative(raw: number): number {
  return raw >= 0 ? 1 / (1 + Math.exp(-raw)) : Math.exp(raw) / (1 + Math.exp(raw));
}

/** Added to every mass so far-tail neurons keep a non-zero importance (docs/method.md §2). */
export const MASS_FLOOR = 1e-6;

/** Keeps the distribution parameter strictly positive when softplus underflows. */
export const PARAMETER_EPSILON = 1e-8;
