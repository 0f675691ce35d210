import * as tf from '@tensorflow/tfjs-core';
import {
  MASS_FLOOR,
  PARAMETER_EPSILON,
  normalizeWithDerivative,
  softplusDerivative,
  type ImportanceDistribution,
} from './distribution.js';
import { inverseSoftplus, softplus } from './softplus.js';

/** Options of the discretised power law. */
export interface PowerLawOptions {
  /** Quantile k of mass covered by the active width (default 0.9). */
  quantile?: number;
  /** Offset s ≥ 0 of the power law (default 0). */
  offset?: number;
  /** Lower bound on the exponent γ (> 1); caps the width. */
  minExponent?: number;
}

const X_MIN = 1;

/**
 * Discretised power law: F(x) = 1 − ((x_min+s)/(x+x_min+s))^(γ−1), γ = 1 + softplus(r) + ε,
 * Q(k) = (x_min+s)(1−k)^(−1/(γ−1)) − s. A heavier tail than the exponential, hence wider layers.
 */
export class PowerLawDistribution implements ImportanceDistribution {
  readonly family = 'power-law' as const;
  readonly quantile: number;
  readonly offset: number;
  readonly minExponent: number | undefined;

  constructor(options: PowerLawOptions = {}) {
    this.quantile = options.quantile ?? 0.9;
    this.offset = options.offset ?? 0;
    if (!(this.quantile > 0 && this.quantile < 1))
      throw new RangeError(`quantile must be in (0, 1), got ${this.quantile}`);
    if (!(this.offset >= 0)) throw new RangeError(`offset must be ≥ 0, got ${this.offset}`);
    if (options.minExponent !== undefined && !(options.minExponent > 1)) {
      throw new RangeError(`minExponent must be > 1, got ${options.minExponent}`);
    }
    this.minExponent = options.minExponent;
  }

  /** γ for a raw value. */
  parameter(raw: number): number {
    return 1 + softplus(raw) + PARAMETER_EPSILON;
  }

  raw(exponent: number): number {
    if (!(exponent > 1 + PARAMETER_EPSILON)) throw new RangeError(`exponent must be > 1, got ${exponent}`);
    return inverseSoftplus(exponent - 1 - PARAMETER_EPSILON);
  }

  width(raw: number): number {
    const c = X_MIN + this.offset;
    const q = c * (1 - this.quantile) ** (-1 / (this.parameter(raw) - 1)) - this.offset;
    // Very flat power laws overflow the quantile; the caller's width cap then applies.
    return Number.isFinite(q) ? Math.floor(q + 2) : Number.MAX_SAFE_INTEGER;
  }

  project(raw: number): number {
    if (this.minExponent === undefined || this.parameter(raw) >= this.minExponent) return raw;
    return this.raw(this.minExponent);
  }

  masses(raw: tf.Scalar, width: number): tf.Tensor1D {
    return tf.tidy(() => {
      const a = tf.add(tf.softplus(raw), PARAMETER_EPSILON); // γ − 1
      const c = X_MIN + this.offset;
      const j = tf.range(0, width, 1, 'float32');
      // p(j) = (c/(j+c))^a − (c/(j+1+c))^a, evaluated through logs for stability.
      const head = tf.exp(tf.mul(a, tf.log(tf.div(c, tf.add(j, c)))));
      const tail = tf.exp(tf.mul(a, tf.log(tf.div(c, tf.add(j, c + 1)))));
      return tf.add(tf.sub(head, tail), MASS_FLOOR) as tf.Tensor1D;
    });
  }

  importance(raw: tf.Scalar, width: number): tf.Tensor1D {
    return tf.tidy(() => {
      const u = this.masses(raw, width);
      return tf.div(u, tf.sum(u)) as tf.Tensor1D;
    });
  }

  massesHost(raw: number, width: number): Float64Array {
    const a = this.parameter(raw) - 1;
    const c = X_MIN + this.offset;
    const out = new Float64Array(width);
    for (let j = 0; j < width; j++) out[j] = (c / (j + c)) ** a - (c / (j + 1 + c)) ** a + MASS_FLOOR;
    return out;
  }

  importanceWithDerivative(raw: number, width: number): { f: Float64Array; dfdr: Float64Array } {
    const a = this.parameter(raw) - 1;
    const dA = softplusDerivative(raw);
    const c = X_MIN + this.offset;
    const u = new Float64Array(width);
    const du = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      const lh = Math.log(c / (j + c));
      const lt = Math.log(c / (j + 1 + c));
      const h = Math.exp(a * lh);
      const t = Math.exp(a * lt);
      u[j] = h - t + MASS_FLOOR;
      du[j] = (h * lh - t * lt) * dA;
    }
    return normalizeWithDerivative(u, du);
  }
}
