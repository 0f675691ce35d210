import '../ops/register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { elbo, type LossConfig, type LossValues } from '../loss/elbo.js';
import type { AdaptiveModel } from '../models/model.js';
import { disposeParameters, uploadParameters } from '../params/param-tensors.js';
import type { TensorBatch } from './batch.js';
import { valueAndGradsStreamed } from '../ops/backprop.js';
import { readInto } from '../backend/read-into.js';

/** Loss and flat gradient of one batch. */
export interface GradientResult {
  loss: LossValues;
  /**
   * Gradient of the loss, laid out as the concatenation of every parameter's packed active
   * block in `model.parameters` order: the bucket layout the all-reduce and optimizers share.
   */
  gradient: Float32Array;
}

/**
 * Forward and backward pass of one batch. Parameters are uploaded from their host buffers,
 * gradients come back into one flat array; every tensor made here is disposed before return.
 * With `into` (at least as long as the gradient) the gradient is written there and returned as its
 * prefix: a training loop reuses one buffer instead of allocating the model's size every step.
 */
export function computeGradients(
  model: AdaptiveModel,
  batch: TensorBatch,
  lossConfig: LossConfig,
  into?: Float32Array,
): GradientResult {
  const params = model.parameters;
  const tensors = uploadParameters(params);
  try {
    const trainable = params.filter((p) => !p.frozen);
    let kept: tf.Scalar[] = [];
    const lossFn = (...args: tf.Tensor[]): tf.Scalar => {
      const pass = new Map(tensors);
      trainable.forEach((p, i) => pass.set(p.name, args[i]));
      const outputs = model.forward(pass, batch.inputs, true);
      const terms = elbo(model, pass, outputs, batch.targets, lossConfig, batch.mask);
      kept = [terms.nll, terms.weightPrior, terms.ratePrior].map((t) => tf.keep(t));
      return terms.total;
    };
    const length = params.reduce((n, p) => n + p.size, 0);
    const gradient = into !== undefined && into.length >= length ? into.subarray(0, length) : new Float32Array(length);
    const offsets: number[] = [];
    let offset = 0;
    for (const p of params) {
      if (p.frozen) gradient.fill(0, offset, offset + p.size);
      else offsets.push(offset);
      offset += p.size;
    }
    // Saved activations and intermediate gradients are freed as the backward pass goes, and each
    // parameter's gradient is copied out and released as soon as it is final (ops/backprop.ts).
    const value = valueAndGradsStreamed(
      lossFn,
      trainable.map((p) => tensors.get(p.name)!),
      (i, g) => {
        try {
          readInto(g, gradient, offsets[i]);
        } finally {
          g.dispose();
        }
      },
    );
    const [nll, wp, rp] = kept.map((t) => t.dataSync()[0]);
    const loss = { total: value.dataSync()[0], nll, weightPrior: wp, ratePrior: rp };
    value.dispose();
    kept.forEach((t) => t.dispose());
    return { loss, gradient };
  } finally {
    disposeParameters(tensors);
  }
}
