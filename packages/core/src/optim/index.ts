import { Adam } from './adam.js';
import { Sgd } from './sgd.js';
import type { Optimizer, OptimizerConfig } from './optimizer.js';

export { Adam } from './adam.js';
export { Sgd } from './sgd.js';
export { flatLayout, type Optimizer, type OptimizerConfig } from './optimizer.js';

/** Builds the optimizer a config describes. */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  switch (config.type) {
    case 'adam':
      return new Adam(config);
    case 'sgd':
      return new Sgd(config);
    default:
      throw new RangeError(`unknown optimizer.type '${(config as { type: string }).type}' (expected adam or sgd)`);
  }
}
