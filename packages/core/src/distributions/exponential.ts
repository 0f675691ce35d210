import * as tf from '@tensorflow/tfjs-core';
import {
  MASS_FLOOR,
  PARAMETER_EPSILON,
  normalizeWithDerivative,
  softplusDerivative,
  type ImportanceDistribution,
} from './distribution.js';
import { inverseSoftplus, softplus } from './softplus.js';

/** Options of the discretised exponential distribution. */
export interface ExponentialOptions {
  /** Quantile k of mass covered by the active width (default 0.9). */
  quantile?: number;
  /** Lower bound on λ; caps the width at roughly −ln(1−k)/bound. */
  minRate?: number;
}

/**
 * Discretised exponential: p(j) = e^(−λj)(1 − e^(−λ)), λ = softplus(r) + ε, Q(k) = −ln(1−k)/λ.
 * The default family of the method.
 */
export class ExponentialDistribution implements ImportanceDistribution {
  readonly family = 'exponential' as const;
  readonly quantile: number;
  readonly minRate: number | undefined;

  constructor(options: ExponentialOptions = {}) {
    this.quantile = options.quantile ?? 0.9;
    if (!(this.quantile > 0 && this.quantile < 1))
      throw new RangeError(`quantile must be in (0, 1), got ${this.quantile}`);
    if (options.minRate !== undefined && !(options.minRate > PARAMETER_EPSILON)) {
      throw new RangeError(`minRate must be > ${PARAMETER_EPSILON}, got ${options.minRate}`);
    }
    this.minRate = options.minRate;
  }

  parameter(raw: number): number {
    return softplus(raw) + PARAMETER_EPSILON;
  }

  raw(rate: number): number {
    if (!(rate > PARAMETER_EPSILON)) throw new RangeError(`rate must be > ${PARAMETER_EPSILON}, got ${rate}`);
    return inverseSoftplus(rate - PARAMETER_EPSILON);
  }

  width(raw: number): number {
    return Math.floor(-Math.log1p(-this.quantile) / this.parameter(raw) + 2);
  }

  project(raw: number): number {
    if (this.minRate === undefined || this.parameter(raw) >= this.minRate) return raw;
    return this.raw(this.minRate);
  }

  masses(raw: tf.Scalar, width: number): tf.Tensor1D {
    return tf.tidy(() => {
      const rate = tf.add(tf.softplus(raw), PARAMETER_EPSILON);
      const j = tf.range(0, width, 1, 'float32');
      // log p(j) = −λj + log(1 − e^−λ); expm1 keeps precision for small λ.
      const logNorm = tf.log(tf.neg(tf.expm1(tf.neg(rate))));
      return tf.add(tf.exp(tf.add(tf.mul(tf.neg(rate), j), logNorm)), MASS_FLOOR) as tf.Tensor1D;
    });
  }

  importance(raw: tf.Scalar, width: number): tf.Tensor1D {
    return tf.tidy(() => {
      const u = this.masses(raw, width);
      return tf.div(u, tf.sum(u)) as tf.Tensor1D;
    });
  }

  massesHost(raw: number, width: number): Float64Array {
    const rate = this.parameter(raw);
    const norm = -Math.expm1(-rate);
    const out = new Float64Array(width);
    for (let j = 0; j < width; j++) out[j] = Math.exp(-rate * j) * norm + MASS_FLOOR;
    return out;
  }

  importanceWithDerivative(raw: number, width: number): { f: Float64Array; dfdr: Float64Array } {
    const rate = this.parameter(raw);
    const norm = -Math.expm1(-rate); // 1 − e^−λ
    const dRate = softplusDerivative(raw);
    const u = new Float64Array(width);
    const du = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      const e = Math.exp(-rate * j);
      u[j] = e * norm + MASS_FLOOR;
      // d/dλ [e^{−λj}(1 − e^{−λ})] = −j e^{−λj}(1 − e^{−λ}) + e^{−λj} e^{−λ}
      du[j] = (-j * e * norm + e * Math.exp(-rate)) * dRate;
    }
    return normalizeWithDerivative(u, du);
  }
}
