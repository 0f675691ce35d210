import type { DistributionConfig } from '../../distributions/index.js';
import type { Activation } from '../../ops/activation.js';
import { TRANSFORMER_DEFAULTS } from '../defaults.js';

/** Byte-level vocabulary: every byte value is a token, nothing to train. */
export const BYTE_VOCABULARY = 256;

/**
 * A decoder-only Transformer language model whose FFN widths adapt (docs/method.md §7):
 * attention, embeddings and d_model stay fixed.
 */
export interface TransformerConfig {
  /** Number of pre-LayerNorm blocks. */
  blocks: number;
  /** Width of the residual stream. */
  dModel: number;
  /** Attention heads; must divide dModel. */
  heads: number;
  /** Longest sequence the model reads (size of the learned positional table). */
  context: number;
  /** Vocabulary size (default 256: bytes). */
  vocabSize?: number;
  /** true: FFN widths learned; false: fixed `ffnWidths` through the same code path. */
  adaptive: boolean;
  /** Initial rate of every FFN (default λ = 0.01, i.e. 232 neurons at k = 0.9). */
  initialRate?: number;
  /** FFN width of each block of a fixed-width model. */
  ffnWidths?: number[];
  /** Scale FFN activations by the importance f (default: same as `adaptive`). */
  importance?: boolean;
  /** Learn the rates (default true); false freezes the widths of an adaptive model. */
  trainRate?: boolean;
  /** Upper bound on any FFN width (default 4096). */
  maxWidth?: number;
  /** FFN non-linearity (default relu, as in the paper's Transformer). */
  activation?: Activation;
  distribution?: DistributionConfig;
  /** Capacity buffer factor of adaptive FFNs (default 1.5). */
  capacityFactor?: number;
  /** Output projection shares the token embedding (default true). */
  tiedEmbeddings?: boolean;
  /** Dropout probability on embeddings, attention probabilities and residual branches (default 0). */
  dropout?: number;
  /**
   * Activation recomputation: each block keeps only its input for the backward pass and runs its
   * forward again there (about a third more compute, activations of one block instead of all).
   * Needs dropout 0 (default false).
   */
  recompute?: boolean;
  /** Importance fixed per block after truncation (set by `truncate`). */
  frozenImportance?: number[][];
  seed: number;
}

/** A config with its defaults filled in. */
export type ResolvedTransformerConfig = Required<
  Omit<TransformerConfig, 'ffnWidths' | 'frozenImportance' | 'importance'>
> &
  Pick<TransformerConfig, 'ffnWidths' | 'frozenImportance' | 'importance'>;

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`model.${name} must be a positive integer, got ${v}`);
}

/** Fills defaults and validates, naming the bad field. */
export function resolveTransformerConfig(config: TransformerConfig): ResolvedTransformerConfig {
  const c: ResolvedTransformerConfig = {
    vocabSize: BYTE_VOCABULARY,
    ...TRANSFORMER_DEFAULTS,
    distribution: { ...TRANSFORMER_DEFAULTS.distribution },
    ...config,
  };
  for (const k of ['blocks', 'dModel', 'heads', 'context', 'vocabSize', 'maxWidth'] as const) positiveInt(k, c[k]);
  if (c.dModel % c.heads !== 0) throw new RangeError(`model.heads (${c.heads}) must divide model.dModel (${c.dModel})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`model.dropout must be in [0, 1), got ${c.dropout}`);
  if (c.recompute && c.dropout > 0)
    throw new RangeError('model.recompute needs model.dropout 0 (a recomputed block would draw new dropout masks)');
  if (!(c.initialRate > 0)) throw new RangeError(`model.initialRate must be > 0, got ${c.initialRate}`);
  if (c.frozenImportance && c.frozenImportance.length !== c.blocks)
    throw new RangeError(`model.frozenImportance needs ${c.blocks} vectors, got ${c.frozenImportance.length}`);
  if (!c.adaptive && !c.frozenImportance) {
    if (!c.ffnWidths || c.ffnWidths.length !== c.blocks)
      throw new RangeError(`model.ffnWidths must list ${c.blocks} widths for a fixed-width Transformer`);
    c.ffnWidths.forEach((w, i) => positiveInt(`ffnWidths[${i}]`, w));
  }
  return c;
}
