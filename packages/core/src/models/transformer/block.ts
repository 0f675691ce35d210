import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveDense } from '../../layers/adaptive-dense.js';
import { causalSelfAttention } from '../../ops/attention.js';
import { layerNorm } from '../../ops/layer-norm.js';
import { matMulFast } from '../../ops/matmul.js';
import { valueAndGradsLean } from '../../ops/backprop.js';
import { Parameter } from '../../params/parameter.js';
import { paramTensor, type ParamTensors } from '../../params/param-tensors.js';
import { Prng } from '../../random/prng.js';
import type { ResolvedTransformerConfig } from './config.js';

/** Key tag of the Transformer's own initial draws (AdaptiveDense keys its draws by layer index). */
export const TRANSFORMER_INIT_TAG = 0x7472616e;

/** Applies dropout to a tensor, or returns it unchanged outside training. */
export type DropoutFn = (x: tf.Tensor) => tf.Tensor;

/** A LayerNorm's scale (ones) and shift (zeros); role 'norm' keeps them out of the weight prior. */
function normParameters(name: string, d: number): [Parameter, Parameter] {
  return [new Parameter(`${name}.gamma`, 'norm', [d], () => 1), new Parameter(`${name}.beta`, 'norm', [d], () => 0)];
}

/**
 * One pre-LayerNorm block: x + Attn(LN(x)), then x + Down(f · σ(LN(x) Up)). The up-projection
 * is an {@link AdaptiveDense}; the down-projection's rows follow its width (a consumer), so a
 * width change touches exactly the FFN's own neurons and nothing else in the block.
 */
export class TransformerBlock {
  readonly ln1: [Parameter, Parameter];
  readonly qkv: Parameter;
  readonly qkvBias: Parameter;
  readonly attnOut: Parameter;
  readonly attnOutBias: Parameter;
  readonly ln2: [Parameter, Parameter];
  readonly ffnUp: AdaptiveDense;
  readonly ffnDown: Parameter;
  readonly ffnDownBias: Parameter;

  constructor(
    readonly index: number,
    private readonly config: ResolvedTransformerConfig,
  ) {
    const c = config;
    const d = c.dModel;
    const name = `block${index}`;
    const prng = Prng.fromKey(c.seed, TRANSFORMER_INIT_TAG, index, 0);
    // Attention projections: variance 1/d; the output projection is further scaled by
    // 1/√(2·blocks) so the residual stream does not grow with depth at initialisation.
    const attnStd = Math.sqrt(1 / d);
    this.ln1 = normParameters(`${name}.ln1`, d);
    this.qkv = new Parameter(`${name}.attn.qkv.weight`, 'weight', [d, 3 * d], () => prng.normal() * attnStd);
    this.qkvBias = new Parameter(`${name}.attn.qkv.bias`, 'bias', [3 * d], () => 0);
    const outStd = attnStd / Math.sqrt(2 * c.blocks);
    this.attnOut = new Parameter(`${name}.attn.out.weight`, 'weight', [d, d], () => prng.normal() * outStd);
    this.attnOutBias = new Parameter(`${name}.attn.out.bias`, 'bias', [d], () => 0);
    this.ln2 = normParameters(`${name}.ln2`, d);
    const frozen = c.frozenImportance?.[index];
    this.ffnUp = new AdaptiveDense(
      {
        name: `${name}.ffn.up`,
        index,
        inputWidth: d,
        adaptive: c.adaptive && !frozen,
        // Only pass `importance` when set: AdaptiveDense fills its default under a spread.
        ...(c.importance !== undefined && !frozen ? { importance: c.importance } : {}),
        trainRate: c.trainRate,
        initialRate: c.initialRate,
        width: frozen ? frozen.length : c.ffnWidths?.[index],
        maxWidth: c.maxWidth,
        distribution: c.distribution,
        activation: c.activation,
        capacityFactor: c.capacityFactor,
        frozenImportance: frozen,
      },
      c.seed,
    );
    const width = this.ffnUp.width;
    // Kaiming+ (docs/method.md §6): the down-projection reads f-scaled activations.
    const downStd = Math.sqrt(this.ffnUp.outgoingVariance());
    const downPrng = Prng.fromKey(c.seed, TRANSFORMER_INIT_TAG, index, 1);
    const capRows = this.ffnUp.adaptive ? Math.ceil(width * c.capacityFactor) : width;
    this.ffnDown = new Parameter(`${name}.ffn.down.weight`, 'weight', [width, d], () => downPrng.normal() * downStd, [
      capRows,
      d,
    ]);
    this.ffnDownBias = new Parameter(`${name}.ffn.down.bias`, 'bias', [d], () => 0);
    this.ffnUp.consumers.push(this.ffnDown);
  }

  /** The block's parameters in a fixed order. */
  get parameters(): Parameter[] {
    return [
      ...this.ln1,
      this.qkv,
      this.qkvBias,
      this.attnOut,
      this.attnOutBias,
      ...this.ln2,
      ...this.ffnUp.parameters,
      this.ffnDown,
      this.ffnDownBias,
    ];
  }

  /** The block on a residual stream x [B, T, d] (recomputed in the backward pass with config.recompute). */
  apply(x: tf.Tensor, tensors: ParamTensors, dropout: DropoutFn): tf.Tensor {
    return this.config.recompute ? this.applyRecomputed(x, tensors) : this.forward(x, tensors, dropout);
  }

  /**
   * The block as one custom-gradient op that saves only its inputs: the forward's intermediates
   * die with it, and the backward runs the forward again under its own tape to get the gradients
   * (the vector-Jacobian product with dy). Dropout is 0 here (resolveTransformerConfig checks).
   */
  private applyRecomputed(x: tf.Tensor, tensors: ParamTensors): tf.Tensor {
    const names = this.parameters.map((p) => p.name);
    const run = (input: tf.Tensor, params: tf.Tensor[]) =>
      this.forward(input, new Map(names.map((n, i) => [n, params[i]])), (t) => t);
    const op = tf.customGrad(((...args: unknown[]) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [input, ...params] = args as tf.Tensor[];
      save([input, ...params]);
      return {
        value: run(input, params),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const { value, grads } = valueAndGradsLean(
            (a: tf.Tensor, ...p: tf.Tensor[]) => tf.sum(tf.mul(run(a, p), dy)) as tf.Scalar,
            saved,
          );
          value.dispose();
          return grads;
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (...inputs: tf.Tensor[]) => tf.Tensor;
    return op(x, ...names.map((n) => paramTensor(tensors, n)));
  }

  private forward(x: tf.Tensor, tensors: ParamTensors, dropout: DropoutFn): tf.Tensor {
    return tf.tidy(() => {
      const t = <T extends tf.Tensor>(p: Parameter): T => paramTensor<T>(tensors, p.name);
      const a = causalSelfAttention(
        layerNorm(x, t(this.ln1[0]), t(this.ln1[1])),
        { qkv: t(this.qkv), qkvBias: t(this.qkvBias), out: t(this.attnOut), outBias: t(this.attnOutBias) },
        this.config.heads,
        dropout,
      );
      const h = tf.add(x, dropout(a));
      const up = this.ffnUp.apply(layerNorm(h, t(this.ln2[0]), t(this.ln2[1])), tensors);
      const down = tf.add(matMulFast(up, t<tf.Tensor2D>(this.ffnDown)), t(this.ffnDownBias));
      return tf.add(h, dropout(down));
    });
  }
}
