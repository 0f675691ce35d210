import type { AdaptiveModel } from '../models/model.js';
import { copyLeadingBlock } from '../params/copy.js';
import { withoutInitialValues, type Parameter } from '../params/parameter.js';

/** Per-layer target widths, or one fraction of neurons to keep in every adaptive layer. */
export type TruncationTarget = number[] | { fraction: number };

/** Widths a truncation target means for a model (at least 1 neuron per layer). */
export function truncationWidths(model: AdaptiveModel, target: TruncationTarget): number[] {
  const current = model.adaptiveLayers.map((l) => l.width);
  if (Array.isArray(target)) {
    if (target.length !== current.length)
      throw new RangeError(`truncation needs ${current.length} widths, got ${target.length}`);
    target.forEach((w, i) => {
      if (!Number.isInteger(w) || w < 1 || w > current[i])
        throw new RangeError(`truncation width ${w} of layer ${i} must be an integer in [1, ${current[i]}]`);
    });
    return [...target];
  }
  const { fraction } = target;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`truncation fraction must be in (0, 1], got ${fraction}`);
  return current.map((d) => Math.max(1, Math.round(d * fraction)));
}

/**
 * Post-training truncation (docs/method.md §8): keeps the first D' neurons of each adaptive
 * layer with their un-renormalised importances, so the survivors behave exactly as before and
 * only the tail's contribution disappears. No retraining. The source model is not modified.
 */
export function truncate(model: AdaptiveModel, target: TruncationTarget): AdaptiveModel {
  return truncated(model, target, copyLeadingBlock);
}

/**
 * The truncated model whose parameters are views of `model`'s (no copy): for scoring only, as
 * training it would change `model` too. What {@link truncationCurve} scores.
 */
function truncatedView(model: AdaptiveModel, target: TruncationTarget): AdaptiveModel {
  return truncated(model, target, (source, p) => p.aliasLeadingBlockOf(source));
}

function truncated(
  model: AdaptiveModel,
  target: TruncationTarget,
  fill: (source: Parameter, p: Parameter) => void,
): AdaptiveModel {
  const widths = truncationWidths(model, target);
  const frozen = model.adaptiveLayers.map((layer, i) => {
    const f = layer.importanceHost();
    // Layers without importance (fixed baselines) are cut the same way, with f ≡ 1.
    return f ? Array.from(f.subarray(0, widths[i])) : new Array<number>(widths[i]).fill(1);
  });
  // Every value comes from the source below.
  const small = withoutInitialValues(() => model.withFrozenImportance(frozen));
  const byName = new Map(model.parameters.map((p) => [p.name, p]));
  for (const p of small.parameters) {
    const source = byName.get(p.name);
    if (!source) throw new Error(`truncated model has parameter ${p.name} that the source lacks`);
    fill(source, p);
  }
  return small;
}

/** One point of a truncation curve. */
export interface TruncationPoint {
  /** Requested fraction of neurons kept per layer. */
  fraction: number;
  widths: number[];
  /** Neurons actually kept over all adaptive layers, as a share of the current total. */
  keptShare: number;
  score: number;
}

/**
 * Score against the fraction of neurons kept, for a model whose neurons are ordered by
 * importance: the accuracy/compute trade-off available after training at zero cost. `score`
 * gets truncated models that share `model`'s memory, to evaluate, not to train.
 */
export function truncationCurve(
  model: AdaptiveModel,
  score: (m: AdaptiveModel) => number,
  fractions: number[],
): TruncationPoint[] {
  const total = model.adaptiveLayers.reduce((n, l) => n + l.width, 0);
  return fractions.map((fraction) => {
    const small = truncatedView(model, { fraction });
    const widths = small.adaptiveLayers.map((l) => l.width);
    return { fraction, widths, keptShare: widths.reduce((a, b) => a + b, 0) / total, score: score(small) };
  });
}
