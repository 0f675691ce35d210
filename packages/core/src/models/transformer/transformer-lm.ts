import * as tf from '@tensorflow/tfjs-core';
import type { AdaptiveDense, WidthChange } from '../../layers/adaptive-dense.js';
import { embeddingLookup } from '../../ops/embedding.js';
import { layerNorm } from '../../ops/layer-norm.js';
import { matMulFast } from '../../ops/matmul.js';
import { Parameter } from '../../params/parameter.js';
import { paramTensor, type ParamTensors } from '../../params/param-tensors.js';
import { Prng } from '../../random/prng.js';
import { updateLayerWidths, type AdaptiveModel, type Task } from '../model.js';
import { TransformerBlock, TRANSFORMER_INIT_TAG, type DropoutFn } from './block.js';
import { resolveTransformerConfig, type ResolvedTransformerConfig, type TransformerConfig } from './config.js';
import { generate, type GenerateOptions } from './generate.js';

/** Std of the embeddings (and of an untied output projection) at initialisation. */
const EMBEDDING_STD = 0.02;
const DROPOUT_TAG = 0x64726f70;

/** FNV-1a over a batch's token ids: the dropout key of that batch. */
function contentHash(ids: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ (ids[i] & 0xffff), 0x01000193) >>> 0;
  return h;
}

/**
 * Decoder-only Transformer language model with adaptive FFN widths (docs/method.md §7): token
 * and learned positional embeddings, `blocks` pre-LayerNorm blocks, a final LayerNorm and an
 * output projection (tied to the token embedding or not). Inputs are int32 [B, T] token ids,
 * outputs logits [B, T, vocab]; the task is classification over the vocabulary, so `fit`,
 * `evaluate`, checkpoints and `truncate` treat it exactly like the MLP.
 */
export class TransformerLm implements AdaptiveModel {
  readonly kind = 'transformer';
  readonly task: Task = 'classification';
  readonly seed: number;
  readonly config: ResolvedTransformerConfig;
  readonly tokenEmbedding: Parameter;
  readonly positionEmbedding: Parameter;
  readonly blocks: TransformerBlock[] = [];
  readonly finalNorm: [Parameter, Parameter];
  readonly outputWeight: Parameter | undefined;
  readonly outputBias: Parameter;

  constructor(config: TransformerConfig) {
    this.config = resolveTransformerConfig(config);
    const c = this.config;
    this.seed = c.seed;
    const prng = Prng.fromKey(c.seed, TRANSFORMER_INIT_TAG, c.blocks, 0);
    const embed = () => prng.normal() * EMBEDDING_STD;
    this.tokenEmbedding = new Parameter('embed.token', 'embedding', [c.vocabSize, c.dModel], embed);
    this.positionEmbedding = new Parameter('embed.position', 'embedding', [c.context, c.dModel], embed);
    for (let i = 0; i < c.blocks; i++) this.blocks.push(new TransformerBlock(i, c));
    this.finalNorm = [
      new Parameter('final.ln.gamma', 'norm', [c.dModel], () => 1),
      new Parameter('final.ln.beta', 'norm', [c.dModel], () => 0),
    ];
    this.outputWeight = c.tiedEmbeddings
      ? undefined
      : new Parameter('output.weight', 'weight', [c.dModel, c.vocabSize], embed);
    this.outputBias = new Parameter('output.bias', 'bias', [c.vocabSize], () => 0);
  }

  /** The up-projection of every block's FFN: the only layers whose width changes. */
  get adaptiveLayers(): readonly AdaptiveDense[] {
    return this.blocks.map((b) => b.ffnUp);
  }

  get parameters(): readonly Parameter[] {
    return [
      this.tokenEmbedding,
      this.positionEmbedding,
      ...this.blocks.flatMap((b) => b.parameters),
      ...this.finalNorm,
      ...(this.outputWeight ? [this.outputWeight] : []),
      this.outputBias,
    ];
  }

  /** Logits [B, T, vocab] for token ids [B, T] (T ≤ context); position t sees tokens ≤ t only. */
  forward(tensors: ParamTensors, inputs: tf.Tensor, training: boolean): tf.Tensor {
    const c = this.config;
    if (inputs.rank !== 2)
      throw new RangeError(`transformer: inputs must be [batch, time] token ids, got shape [${inputs.shape}]`);
    const length = inputs.shape[1] as number;
    if (length < 1 || length > c.context)
      throw new RangeError(`transformer: sequence length ${length} outside [1, context = ${c.context}]`);
    const dropout = this.dropoutFor(inputs, training);
    return tf.tidy(() => {
      const t = <T extends tf.Tensor>(p: Parameter): T => paramTensor<T>(tensors, p.name);
      const table = t<tf.Tensor2D>(this.tokenEmbedding);
      // The whole table at full context: a slice of all of it would only add a copy and a pad in the backward.
      const positionTable = t<tf.Tensor2D>(this.positionEmbedding);
      const positions =
        length === positionTable.shape[0] ? positionTable : tf.slice(positionTable, [0, 0], [length, c.dModel]);
      let h = dropout(tf.add(embeddingLookup(inputs, table), positions));
      for (const block of this.blocks) h = block.apply(h, tensors, dropout);
      h = layerNorm(h, t(this.finalNorm[0]), t(this.finalNorm[1]));
      // Tied: logits = h Eᵀ, with Eᵀ materialised so the product stays untransposed (fast on wasm).
      const projection = this.outputWeight ? t<tf.Tensor2D>(this.outputWeight) : (tf.transpose(table) as tf.Tensor2D);
      return tf.add(matMulFast(h, projection), t(this.outputBias));
    });
  }

  /**
   * Dropout keyed by (seed, the batch's token ids, call site): deterministic, identical after a
   * checkpoint resume, and different for every batch, without any process-local random source.
   */
  private dropoutFor(inputs: tf.Tensor, training: boolean): DropoutFn {
    const rate = this.config.dropout;
    if (!training || rate === 0) return (x) => x;
    const key = contentHash(inputs.dataSync());
    let site = 0;
    return (x) => tf.dropout(x, rate, undefined, Prng.fromKey(this.seed, DROPOUT_TAG, key, site++).nextUint32());
  }

  updateWidths(step: number): WidthChange[] {
    return updateLayerWidths(this.adaptiveLayers, this.seed, step);
  }

  withFrozenImportance(frozen: number[][]): TransformerLm {
    if (frozen.length !== this.blocks.length)
      throw new RangeError(`expected ${this.blocks.length} importance vectors, got ${frozen.length}`);
    return new TransformerLm({ ...this.config, frozenImportance: frozen });
  }

  toConfig(): Record<string, unknown> {
    const c = this.config;
    return { ...c, ffnWidths: c.adaptive ? undefined : c.ffnWidths };
  }

  /**
   * Samples `n` bytes after `prompt` (see {@link generate}) and decodes them as UTF-8: a quick
   * human check of what the model learned.
   */
  generate(prompt: string | Uint8Array, n: number, temperature = 1, topK = 0, seed = this.seed): string {
    const options: GenerateOptions = { n, temperature, topK, seed };
    return new TextDecoder().decode(generate(this, prompt, options));
  }
}
