import * as tf from '@tensorflow/tfjs-core';
import { createDistribution, type DistributionConfig, type ImportanceDistribution } from '../distributions/index.js';
import { matMulFast } from '../ops/matmul.js';
import { biasReluScale, hasFusedBiasReluScale, scaleByImportance } from '../ops/importance-scale.js';
import { activate, type Activation } from '../ops/activation.js';
import { Parameter } from '../params/parameter.js';
import { paramTensor, type ParamTensors } from '../params/param-tensors.js';
import { Prng } from '../random/prng.js';

/** How a hidden layer's width is decided. */
export interface AdaptiveDenseConfig {
  /** Unique prefix of the layer's parameter names, e.g. 'hidden0'. */
  name: string;
  /** Index among the model's adaptive layers: part of the growth PRNG key. */
  index: number;
  /** Width of the input (the previous layer's current width). */
  inputWidth: number;
  /** Learn the width (true) or keep `width` fixed (false: a plain dense layer, the baseline). */
  adaptive: boolean;
  /** Multiply the activation by the importance vector f (default: same as `adaptive`). */
  importance?: boolean;
  /** Learn the rate (default true); frozen rates keep the width fixed but still scale by f. */
  trainRate?: boolean;
  /** Initial distribution parameter (λ for exponential, γ for power law). Adaptive only. */
  initialRate?: number;
  /** Width of a fixed layer. */
  width?: number;
  /** Upper bound on the width whatever the rate says (protects memory). */
  maxWidth: number;
  distribution: DistributionConfig;
  activation: Activation;
  /** Extra capacity reserved beyond the initial width (multiplier, ≥ 1; default 1.5). */
  capacityFactor?: number;
  /**
   * Rows reserved for the input (default `inputWidth`): when the layer below is adaptive, its
   * growth adds rows here, and spare rows make that growth move no memory.
   */
  inputCapacity?: number;
  /**
   * Importances fixed at truncation time (un-renormalised f of the surviving neurons). When set,
   * the layer is no longer adaptive and applies these values instead of the distribution.
   */
  frozenImportance?: number[];
}

/** A recorded change of one layer's width. */
export interface WidthChange {
  layer: number;
  from: number;
  to: number;
}

/**
 * A dense layer whose output width follows a learned distribution (docs/method.md §2–§5):
 * h = σ(x W + b) · f. Resizing touches its own weight columns and bias, and the rows of every
 * consumer parameter (the next layer's weight), so the function changes only through the tail.
 */
export class AdaptiveDense {
  readonly config: Required<Omit<AdaptiveDenseConfig, 'frozenImportance' | 'initialRate' | 'width' | 'inputCapacity'>> &
    Pick<AdaptiveDenseConfig, 'frozenImportance' | 'initialRate' | 'width' | 'inputCapacity'>;
  readonly distribution: ImportanceDistribution;
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly rawRate: Parameter | undefined;
  /** Parameters whose rows follow this layer's width (the next layer's weight). */
  readonly consumers: Parameter[] = [];
  private currentWidth: number;

  /**
   * @param inputVariance variance of the initial incoming weights: He's 2/fan_in by default,
   *   Kaiming+ 2/Σf² of the layer below when that layer applies importance. Used at
   *   construction only: neurons added later are drawn from N(0, 1) (see {@link resize}).
   */
  constructor(config: AdaptiveDenseConfig, seed: number, inputVariance?: number) {
    this.config = {
      importance: config.importance ?? (config.adaptive || config.frozenImportance !== undefined),
      trainRate: config.trainRate ?? true,
      capacityFactor: config.capacityFactor ?? 1.5,
      ...config,
    };
    if (this.config.capacityFactor < 1) throw new RangeError(`${config.name}: capacityFactor must be ≥ 1`);
    this.distribution = createDistribution(config.distribution);
    if (config.frozenImportance) {
      this.currentWidth = config.frozenImportance.length;
    } else if (config.adaptive) {
      if (config.initialRate === undefined) throw new RangeError(`${config.name}: adaptive layers need initialRate`);
      const raw = this.distribution.raw(config.initialRate);
      this.rawRate = new Parameter(`${config.name}.rate`, 'rate', [1], () => raw);
      this.rawRate.frozen = !this.config.trainRate;
      this.currentWidth = this.clampWidth(this.distribution.width(raw));
    } else {
      if (!config.width || config.width < 1) throw new RangeError(`${config.name}: fixed layers need width ≥ 1`);
      this.currentWidth = config.width;
    }
    const fanIn = config.inputWidth;
    const prng = Prng.fromKey(seed, 0, config.index, 0);
    const std = Math.sqrt(inputVariance ?? 2 / fanIn);
    const capCols = config.adaptive ? Math.ceil(this.currentWidth * this.config.capacityFactor) : this.currentWidth;
    this.weight = new Parameter(
      `${config.name}.weight`,
      'weight',
      [fanIn, this.currentWidth],
      () => prng.normal() * std,
      [Math.max(fanIn, config.inputCapacity ?? fanIn), capCols],
    );
    this.bias = new Parameter(`${config.name}.bias`, 'bias', [this.currentWidth], () => 0, [capCols]);
  }

  /** Current active width D. */
  get width(): number {
    return this.currentWidth;
  }

  /** Whether the width follows a learned rate. */
  get adaptive(): boolean {
    return this.rawRate !== undefined;
  }

  /** Current distribution parameter (λ or γ), or undefined for fixed layers. */
  get rate(): number | undefined {
    return this.rawRate ? this.distribution.parameter(this.rawRate.scalar) : undefined;
  }

  /** Parameters this layer owns, in a fixed order. */
  get parameters(): Parameter[] {
    return this.rawRate ? [this.weight, this.bias, this.rawRate] : [this.weight, this.bias];
  }

  /** Host-side importance over the current width (float64), or undefined without importance. */
  importanceHost(): Float64Array | undefined {
    if (!this.config.importance) return undefined;
    if (this.config.frozenImportance) return Float64Array.from(this.config.frozenImportance);
    if (!this.rawRate) return undefined;
    const u = this.distribution.massesHost(this.rawRate.scalar, this.currentWidth);
    let z = 0;
    for (const v of u) z += v;
    return u.map((v) => v / z);
  }

  /**
   * Kaiming+ variance for weights that read this layer's output: 2 / Σ f², or He's 2 / D when
   * the layer applies no importance (docs/method.md §6).
   */
  outgoingVariance(): number {
    const f = this.importanceHost();
    if (!f) return 2 / this.currentWidth;
    let s = 0;
    for (const v of f) s += v * v;
    return 2 / s;
  }

  /** Importance tensor f for this pass, or null when the layer applies none. */
  importance(tensors: ParamTensors): tf.Tensor1D | null {
    if (!this.config.importance) return null;
    if (this.config.frozenImportance) return tf.tensor1d(this.config.frozenImportance, 'float32');
    if (!this.rawRate) return null;
    // A frozen rate (Parameter.frozen) is left out of differentiation, so it gets no gradient.
    const raw = tf.reshape(paramTensor(tensors, this.rawRate.name), []) as tf.Scalar;
    return this.distribution.importance(raw, this.currentWidth);
  }

  /** Forward pass: σ(x W + b) · f. */
  apply(x: tf.Tensor, tensors: ParamTensors): tf.Tensor {
    return tf.tidy(() => {
      const product = matMulFast(x, paramTensor<tf.Tensor2D>(tensors, this.weight.name));
      const learnedF = this.config.importance && this.rawRate && !this.config.frozenImportance;
      if (learnedF && this.config.activation === 'relu' && hasFusedBiasReluScale()) {
        const { f, dfdr } = this.distribution.importanceWithDerivative(this.rawRate!.scalar, this.currentWidth);
        const bias = paramTensor(tensors, this.bias.name);
        return biasReluScale(product, bias, paramTensor(tensors, this.rawRate!.name), f, dfdr);
      }
      const z = tf.add(product, paramTensor(tensors, this.bias.name));
      const a = activate(z, this.config.activation);
      if (!this.config.importance) return a;
      if (this.rawRate && !this.config.frozenImportance) {
        // f and df/dr from the host: the rate is a host-side scalar anyway (see scaleByImportance).
        const { f, dfdr } = this.distribution.importanceWithDerivative(this.rawRate.scalar, this.currentWidth);
        return scaleByImportance(a, paramTensor(tensors, this.rawRate.name), f, dfdr);
      }
      const f = this.importance(tensors);
      return f ? tf.mul(a, f) : a;
    });
  }

  /** Width the current rate asks for (after the lower-bound projection), capped by maxWidth. */
  targetWidth(): number {
    if (!this.rawRate || !this.config.trainRate) return this.currentWidth;
    return this.clampWidth(this.distribution.width(this.rawRate.scalar));
  }

  /** Applies the lower bound on the rate by projecting the raw parameter. */
  projectRate(): void {
    if (this.rawRate) this.rawRate.scalar = this.distribution.project(this.rawRate.scalar);
  }

  /** Changes the width of the input (the layer below resized). New rows are drawn by `init`. */
  resizeInput(inputWidth: number, init: (row: number, col: number) => number): void {
    this.weight.resize([inputWidth, this.currentWidth], init);
  }

  /**
   * Sets the width to `width`. New neurons (their incoming weights, their biases and their
   * outgoing weights in every consumer) are drawn from N(0, 1), as the method's authors grow
   * layers; the Kaiming+ variance is for construction only. A growth variance that followed the
   * current f (2/Σf², which grows like D) made wider layers add louder neurons, which the
   * likelihood rewarded with a smaller λ and so more width: on Spiral 2 of 5 seeds ran to
   * maxWidth (docs/reproduction.md). Draws come from a PRNG keyed by (seed, step, layer), so
   * every replica with the same state grows identically without exchanging a message.
   */
  resize(width: number, seed: number, step: number): WidthChange | undefined {
    if (width === this.currentWidth) return undefined;
    const from = this.currentWidth;
    const fanIn = this.weight.shape[0];
    const prngIn = Prng.fromKey(seed, step + 1, this.config.index, 1);
    this.weight.resize([fanIn, width], () => prngIn.normal());
    const prngBias = Prng.fromKey(seed, step + 1, this.config.index, 3);
    this.bias.resize([width], () => prngBias.normal());
    this.currentWidth = width;
    const prngOut = Prng.fromKey(seed, step + 1, this.config.index, 2);
    for (const c of this.consumers) c.resize([width, c.shape[1]], () => prngOut.normal());
    return { layer: this.config.index, from, to: width };
  }

  /**
   * True when the rate asks for at least `maxWidth` neurons: the cap, not the distribution, sets
   * the width, and λ may keep falling unseen. A run whose layer sits here has run away.
   */
  get atMaxWidth(): boolean {
    if (!this.rawRate || !this.config.trainRate) return false;
    return this.distribution.width(this.rawRate.scalar) >= this.config.maxWidth;
  }

  private clampWidth(width: number): number {
    return Math.max(1, Math.min(this.config.maxWidth, width));
  }
}
