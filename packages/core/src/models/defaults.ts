import type { DistributionFamily } from '../distributions/index.js';
import type { Activation } from '../ops/activation.js';

/**
 * The defaults of the model settings, in one place: the constructors (`resolveMlpConfig`,
 * `resolveTransformerConfig`) fill them in for code that builds a model directly, and the run
 * config schema (experiment/config-schema.ts) uses the same values, so a model built in code and
 * one built from a config file that leaves a field out are the same model.
 */
interface SharedModelDefaults {
  /** Initial rate λ of every adaptive layer: 232 neurons at quantile 0.9. */
  readonly initialRate: number;
  readonly maxWidth: number;
  /** Exponential importance whose width holds 90 % of the mass. */
  readonly distribution: { readonly family: DistributionFamily; readonly quantile: number };
  /** Capacity buffers hold this many times the width, so most growth moves no memory. */
  readonly capacityFactor: number;
}

const SHARED: SharedModelDefaults = {
  initialRate: 0.01,
  maxWidth: 4096,
  distribution: { family: 'exponential', quantile: 0.9 },
  capacityFactor: 1.5,
};

/** Defaults of an MLP's optional settings (ReLU6, as the authors' synthetic experiments). */
export const MLP_DEFAULTS: SharedModelDefaults & { readonly activation: Activation } = {
  ...SHARED,
  activation: 'relu6',
};

/** Defaults of a Transformer's optional settings (ReLU FFNs, as the paper's Transformer). */
export const TRANSFORMER_DEFAULTS: SharedModelDefaults & {
  readonly activation: Activation;
  readonly trainRate: boolean;
  readonly tiedEmbeddings: boolean;
  readonly dropout: number;
  readonly recompute: boolean;
} = {
  ...SHARED,
  activation: 'relu',
  trainRate: true,
  tiedEmbeddings: true,
  dropout: 0,
  recompute: false,
};
