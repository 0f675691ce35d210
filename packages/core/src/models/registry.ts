import type { AdaptiveModel } from './model.js';
import { AdaptiveMlp, type MlpConfig } from './mlp.js';

/** Rebuilds a model from its `kind` and `toConfig()` output (checkpoints, workers). */
export type ModelFactory = (config: Record<string, unknown>) => AdaptiveModel;

const factories = new Map<string, ModelFactory>([['mlp', (c) => new AdaptiveMlp(c as unknown as MlpConfig)]]);

/** Makes a model family loadable from checkpoints. */
export function registerModelKind(kind: string, factory: ModelFactory): void {
  factories.set(kind, factory);
}

/** Builds a model of a registered kind, naming the kind when it is unknown. */
export function createModel(kind: string, config: Record<string, unknown>): AdaptiveModel {
  const factory = factories.get(kind);
  if (!factory) throw new RangeError(`unknown model kind '${kind}' (known: ${[...factories.keys()].join(', ')})`);
  return factory(config);
}
