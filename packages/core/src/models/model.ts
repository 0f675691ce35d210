import type * as tf from '@tensorflow/tfjs-core';
import type { AdaptiveDense, WidthChange } from '../layers/adaptive-dense.js';
import type { Parameter } from '../params/parameter.js';
import type { ParamTensors } from '../params/param-tensors.js';

/** What a training task predicts, and so which likelihood the loss uses. */
export type Task = 'classification' | 'regression';

/**
 * What the training loop, the optimizers, checkpoints and truncation need from a model. The MLP
 * and the Transformer both implement it, so `fit`, the workers and the CLI treat them alike.
 */
export interface AdaptiveModel {
  /** Model family, stored in checkpoints ('mlp', 'transformer'). */
  readonly kind: string;
  readonly task: Task;
  /** Every trainable parameter, in a fixed order shared by all replicas. */
  readonly parameters: readonly Parameter[];
  /** The layers whose widths can change, in order. */
  readonly adaptiveLayers: readonly AdaptiveDense[];
  /** Seed that keys growth draws. */
  readonly seed: number;
  /** Output logits (classification) or predictions (regression) for a batch. */
  forward(tensors: ParamTensors, inputs: tf.Tensor, training: boolean): tf.Tensor;
  /** Projects rates onto their bounds and resizes layers to the widths the rates ask for. */
  updateWidths(step: number): WidthChange[];
  /** Serialisable description from which an equal, untrained model is rebuilt. */
  toConfig(): Record<string, unknown>;
  /**
   * A fresh model of the same architecture whose adaptive layers are fixed to the given
   * importance vectors (their lengths are the widths); parameters are freshly initialised and
   * the caller copies values in. Used by truncation.
   */
  withFrozenImportance(frozen: number[][]): AdaptiveModel;
}

/** Current width of every adaptive layer. */
export function widthsOf(model: AdaptiveModel): number[] {
  return model.adaptiveLayers.map((l) => l.width);
}

/** Current distribution parameter of every adaptive layer (NaN for fixed layers). */
export function ratesOf(model: AdaptiveModel): number[] {
  return model.adaptiveLayers.map((l) => l.rate ?? Number.NaN);
}

/** Total number of trainable scalars right now. */
export function parameterCount(model: AdaptiveModel): number {
  return model.parameters.reduce((n, p) => n + p.size, 0);
}

/** Default width update shared by models: project rates, then resize to the target widths. */
export function updateLayerWidths(layers: readonly AdaptiveDense[], seed: number, step: number): WidthChange[] {
  const changes: WidthChange[] = [];
  for (const layer of layers) {
    layer.projectRate();
    const change = layer.resize(layer.targetWidth(), seed, step);
    if (change) changes.push(change);
  }
  return changes;
}
