import * as tf from '@tensorflow/tfjs-core';
import type { DistributionConfig } from '../distributions/index.js';
import { AdaptiveDense, type WidthChange } from '../layers/adaptive-dense.js';
import { matMulFast } from '../ops/matmul.js';
import type { Activation } from '../ops/activation.js';
import { Parameter } from '../params/parameter.js';
import { paramTensor, type ParamTensors } from '../params/param-tensors.js';
import { Prng } from '../random/prng.js';
import { MLP_DEFAULTS } from './defaults.js';
import { updateLayerWidths, type AdaptiveModel, type Task } from './model.js';

/** Configuration of an MLP whose hidden layers are all adaptive (or all fixed, for baselines). */
export interface MlpConfig {
  inputDim: number;
  outputDim: number;
  task: Task;
  /** Number of hidden layers. */
  hiddenLayers: number;
  /** true: widths learned; false: a fixed-width MLP through the same code path. */
  adaptive: boolean;
  /** Initial distribution parameter of every adaptive layer (default λ = 0.01, i.e. 232 neurons). */
  initialRate?: number;
  /** Widths of a fixed MLP (one per hidden layer); ignored when adaptive. */
  widths?: number[];
  /** Upper bound on any hidden width (default 4096). */
  maxWidth?: number;
  activation?: Activation;
  distribution?: DistributionConfig;
  /** Capacity buffer factor of adaptive layers (default 1.5). */
  capacityFactor?: number;
  /** Importance fixed per layer after truncation (set by `truncate`). */
  frozenImportance?: number[][];
  seed: number;
}

/** Defaults filled into an {@link MlpConfig}. */
export function resolveMlpConfig(
  config: MlpConfig,
): Required<Omit<MlpConfig, 'widths' | 'frozenImportance'>> & Pick<MlpConfig, 'widths' | 'frozenImportance'> {
  const resolved = {
    ...MLP_DEFAULTS,
    distribution: { ...MLP_DEFAULTS.distribution } as DistributionConfig,
    ...config,
  };
  if (!Number.isInteger(resolved.inputDim) || resolved.inputDim < 1)
    throw new RangeError(`model.inputDim must be a positive integer, got ${resolved.inputDim}`);
  if (!Number.isInteger(resolved.outputDim) || resolved.outputDim < 1)
    throw new RangeError(`model.outputDim must be a positive integer, got ${resolved.outputDim}`);
  if (!Number.isInteger(resolved.hiddenLayers) || resolved.hiddenLayers < 1)
    throw new RangeError(`model.hiddenLayers must be a positive integer, got ${resolved.hiddenLayers}`);
  if (
    !resolved.adaptive &&
    !resolved.frozenImportance &&
    (!resolved.widths || resolved.widths.length !== resolved.hiddenLayers)
  ) {
    throw new RangeError(`model.widths must list ${resolved.hiddenLayers} widths for a fixed-width MLP`);
  }
  return resolved;
}

/**
 * Multi-layer perceptron: every hidden layer an {@link AdaptiveDense}, the output layer a plain
 * dense layer whose input rows follow the last hidden width (outputs are not scaled by f).
 */
export class AdaptiveMlp implements AdaptiveModel {
  readonly kind = 'mlp';
  readonly task: Task;
  readonly seed: number;
  readonly config: ReturnType<typeof resolveMlpConfig>;
  readonly layers: AdaptiveDense[] = [];
  readonly outputWeight: Parameter;
  readonly outputBias: Parameter;

  constructor(config: MlpConfig) {
    this.config = resolveMlpConfig(config);
    const c = this.config;
    this.task = c.task;
    this.seed = c.seed;
    let inputWidth = c.inputDim;
    let inputVariance: number | undefined;
    for (let i = 0; i < c.hiddenLayers; i++) {
      const frozen = c.frozenImportance?.[i];
      const layer = new AdaptiveDense(
        {
          name: `hidden${i}`,
          index: i,
          inputWidth,
          adaptive: c.adaptive && !frozen,
          initialRate: c.initialRate,
          width: frozen ? frozen.length : c.widths?.[i],
          maxWidth: c.maxWidth,
          distribution: c.distribution,
          activation: c.activation,
          capacityFactor: c.capacityFactor,
          inputCapacity: i > 0 && c.adaptive ? Math.ceil(inputWidth * c.capacityFactor) : inputWidth,
          frozenImportance: frozen,
        },
        c.seed,
        inputVariance,
      );
      const below = this.layers[i - 1];
      if (below) below.consumers.push(layer.weight);
      this.layers.push(layer);
      inputWidth = layer.width;
      inputVariance = layer.outgoingVariance();
    }
    const last = this.layers[this.layers.length - 1];
    const prng = Prng.fromKey(c.seed, 0, c.hiddenLayers, 0);
    const std = Math.sqrt(inputVariance ?? 2 / inputWidth);
    this.outputWeight = new Parameter('output.weight', 'weight', [inputWidth, c.outputDim], () => prng.normal() * std, [
      c.adaptive ? Math.ceil(inputWidth * c.capacityFactor) : inputWidth,
      c.outputDim,
    ]);
    this.outputBias = new Parameter('output.bias', 'bias', [c.outputDim], () => 0);
    last.consumers.push(this.outputWeight);
  }

  get adaptiveLayers(): readonly AdaptiveDense[] {
    return this.layers;
  }

  get parameters(): readonly Parameter[] {
    return [...this.layers.flatMap((l) => l.parameters), this.outputWeight, this.outputBias];
  }

  forward(tensors: ParamTensors, inputs: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = inputs;
      for (const layer of this.layers) h = layer.apply(h, tensors);
      return tf.add(
        matMulFast(h, paramTensor<tf.Tensor2D>(tensors, this.outputWeight.name)),
        paramTensor(tensors, this.outputBias.name),
      );
    });
  }

  updateWidths(step: number): WidthChange[] {
    return updateLayerWidths(this.layers, this.seed, step);
  }

  withFrozenImportance(frozen: number[][]): AdaptiveMlp {
    if (frozen.length !== this.layers.length)
      throw new RangeError(`expected ${this.layers.length} importance vectors, got ${frozen.length}`);
    return new AdaptiveMlp({ ...this.config, frozenImportance: frozen });
  }

  toConfig(): Record<string, unknown> {
    const c = this.config;
    return { ...c, widths: c.adaptive ? undefined : c.widths };
  }
}
