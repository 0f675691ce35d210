import * as tf from '@tensorflow/tfjs-core';
import type { AdaptiveModel, Task } from '../models/model.js';
import { paramTensor, type ParamTensors } from '../params/param-tensors.js';
import { PARAMETER_EPSILON } from '../distributions/distribution.js';
import { sumOfSquares } from '../ops/sum-of-squares.js';
import { softmaxCrossEntropy } from '../ops/cross-entropy.js';

/** Hyper-parameters of the negative ELBO (docs/method.md §4). */
export interface LossConfig {
  /** Training-set size N: every prior term is divided by it. */
  nObservations: number;
  /** Std of the Gaussian prior on every weight and bias (σ_θ). */
  weightPriorStd: number;
  /** Mean of the Gaussian prior on each rate (μ_λ); used only with rateStd. */
  rateMean?: number;
  /** Std of the Gaussian prior on each rate (σ_λ); omitted → no rate prior. */
  rateStd?: number;
}

/** The loss and its terms, as scalars (the caller disposes). */
export interface LossTerms {
  total: tf.Scalar;
  nll: tf.Scalar;
  weightPrior: tf.Scalar;
  ratePrior: tf.Scalar;
}

/** Host-side values of {@link LossTerms}. */
export interface LossValues {
  total: number;
  nll: number;
  weightPrior: number;
  ratePrior: number;
}

/** Validates a loss config, naming the bad field. */
export function checkLossConfig(config: LossConfig): void {
  if (!(config.nObservations >= 1)) throw new RangeError(`loss.nObservations must be ≥ 1, got ${config.nObservations}`);
  if (!(config.weightPriorStd > 0))
    throw new RangeError(`loss.weightPriorStd must be > 0, got ${config.weightPriorStd}`);
  if (config.rateStd !== undefined && !(config.rateStd > 0))
    throw new RangeError(`loss.rateStd must be > 0, got ${config.rateStd}`);
  if (config.rateStd !== undefined && config.rateMean === undefined)
    throw new RangeError('loss.rateMean is required when loss.rateStd is set');
}

/**
 * Mean negative log-likelihood of a batch: softmax cross-entropy for classes (labels int32
 * [n]), ½‖ŷ − y‖² for regression (targets float32 [n, out]). An optional 0/1 mask [n] removes
 * padding from the mean (sequence models).
 */
export function negativeLogLikelihood(task: Task, outputs: tf.Tensor, targets: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    let perExample: tf.Tensor;
    if (task === 'classification') {
      perExample = softmaxCrossEntropy(outputs, tf.cast(targets, 'int32'));
    } else {
      perExample = tf.mul(0.5, tf.sum(tf.square(tf.sub(outputs, targets)), -1));
    }
    if (!mask) return tf.mean(perExample) as tf.Scalar;
    const m = tf.cast(mask, 'float32');
    return tf.div(tf.sum(tf.mul(perExample, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/** (1/N) Σ w² / (2σ_θ²) over every weight and bias of the model (not over raw rates). */
export function weightPrior(model: AdaptiveModel, tensors: ParamTensors, config: LossConfig): tf.Scalar {
  return tf.tidy(() => {
    let sum: tf.Tensor = tf.scalar(0);
    for (const p of model.parameters) {
      if (p.role === 'rate' || p.role === 'norm') continue;
      sum = tf.add(sum, sumOfSquares(paramTensor(tensors, p.name)));
    }
    return tf.div(sum, 2 * config.weightPriorStd ** 2 * config.nObservations) as tf.Scalar;
  });
}

/** (1/N) Σ_ℓ [log σ_λ + (λ_ℓ − μ_λ)² / (2σ_λ²)] over adaptive layers; zero without σ_λ. */
export function ratePrior(model: AdaptiveModel, tensors: ParamTensors, config: LossConfig): tf.Scalar {
  return tf.tidy(() => {
    if (config.rateStd === undefined || config.rateMean === undefined) return tf.scalar(0);
    let sum: tf.Tensor = tf.scalar(0);
    for (const layer of model.adaptiveLayers) {
      if (!layer.rawRate) continue;
      // λ for the exponential, γ = 1 + softplus(r) for the power law.
      const offset = layer.distribution.family === 'power-law' ? 1 + PARAMETER_EPSILON : PARAMETER_EPSILON;
      const rate = tf.add(tf.softplus(tf.reshape(paramTensor(tensors, layer.rawRate.name), [])), offset);
      const z = tf.div(tf.sub(rate, config.rateMean), config.rateStd);
      sum = tf.add(sum, tf.add(Math.log(config.rateStd), tf.mul(0.5, tf.square(z))));
    }
    return tf.div(sum, config.nObservations) as tf.Scalar;
  });
}

/** Negative ELBO of a batch with its terms (docs/method.md §4). */
export function elbo(
  model: AdaptiveModel,
  tensors: ParamTensors,
  outputs: tf.Tensor,
  targets: tf.Tensor,
  config: LossConfig,
  mask?: tf.Tensor,
): LossTerms {
  const nll = negativeLogLikelihood(model.task, outputs, targets, mask);
  const wp = weightPrior(model, tensors, config);
  const rp = ratePrior(model, tensors, config);
  const total = tf.tidy(() => tf.add(tf.add(nll, wp), rp) as tf.Scalar);
  return { total, nll, weightPrior: wp, ratePrior: rp };
}
