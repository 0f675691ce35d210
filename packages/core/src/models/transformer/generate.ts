import * as tf from '@tensorflow/tfjs-core';
import { disposeParameters, uploadParameters } from '../../params/param-tensors.js';
import { Prng } from '../../random/prng.js';
import type { AdaptiveModel } from '../model.js';

/** How to sample a continuation. */
export interface GenerateOptions {
  /** Tokens to generate. */
  n: number;
  /** Softmax temperature; 0 picks the most likely token every time (greedy). */
  temperature: number;
  /** Sample among the k most likely tokens only (0: all). */
  topK: number;
  /** Keys the sampling stream: the same seed gives the same text. */
  seed: number;
}

const SAMPLE_TAG = 0x73616d70;

/** Index drawn from logits with temperature and top-k, using `prng` (host-side, float64). */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, prng: Prng): number {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  if (temperature === 0) return order[0];
  const kept = topK > 0 ? order.slice(0, topK) : order;
  const max = logits[kept[0]];
  const weights = kept.map((i) => Math.exp((logits[i] - max) / temperature));
  let u = prng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j];
    if (u < 0) return kept[j];
  }
  return kept[kept.length - 1];
}

/**
 * Autoregressive sampling from a sequence model (inputs int32 [1, T] → logits [1, T, vocab]),
 * reading at most `context` trailing tokens. Returns only the generated tokens. Parameters are
 * uploaded once; every tensor is disposed.
 */
export function generate(
  model: AdaptiveModel & { config: { context: number } },
  prompt: string | Uint8Array,
  options: GenerateOptions,
): Uint8Array {
  const { n, temperature, topK, seed } = options;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generate: n must be an integer ≥ 0, got ${n}`);
  if (!(temperature >= 0)) throw new RangeError(`generate: temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`generate: topK must be an integer ≥ 0, got ${topK}`);
  const tokens = Array.from(typeof prompt === 'string' ? new TextEncoder().encode(prompt) : prompt);
  // An empty prompt starts from a space, the most common byte of prose.
  if (tokens.length === 0) tokens.push(0x20);
  const start = tokens.length;
  const prng = Prng.fromKey(seed, SAMPLE_TAG);
  const tensors = uploadParameters(model.parameters);
  try {
    for (let i = 0; i < n; i++) {
      const window = tokens.slice(-model.config.context);
      const logits = tf.tidy(() => {
        const out = model.forward(tensors, tf.tensor2d(window, [1, window.length], 'int32'), false);
        return tf.slice(out, [0, window.length - 1, 0], [1, 1, -1]).dataSync();
      });
      tokens.push(sampleToken(logits, temperature, topK, prng));
    }
  } finally {
    disposeParameters(tensors);
  }
  return Uint8Array.from(tokens.slice(start));
}
