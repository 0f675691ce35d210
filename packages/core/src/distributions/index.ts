import type { DistributionFamily, ImportanceDistribution } from './distribution.js';
import { ExponentialDistribution } from './exponential.js';
import { PowerLawDistribution } from './power-law.js';

export type { DistributionFamily, ImportanceDistribution } from './distribution.js';
export { MASS_FLOOR } from './distribution.js';
export { ExponentialDistribution, type ExponentialOptions } from './exponential.js';
export { PowerLawDistribution, type PowerLawOptions } from './power-law.js';
export { softplus, inverseSoftplus } from './softplus.js';

/** Serialisable description of a layer's importance distribution. */
export interface DistributionConfig {
  family: DistributionFamily;
  /** Quantile k (default 0.9). */
  quantile?: number;
  /** Exponential: lower bound on λ. Power law: lower bound on γ. */
  lowerBound?: number;
  /** Power law offset s (default 0). */
  offset?: number;
}

/** Builds the distribution a config describes. */
export function createDistribution(config: DistributionConfig): ImportanceDistribution {
  switch (config.family) {
    case 'exponential':
      return new ExponentialDistribution({ quantile: config.quantile, minRate: config.lowerBound });
    case 'power-law':
      return new PowerLawDistribution({
        quantile: config.quantile,
        minExponent: config.lowerBound,
        offset: config.offset,
      });
    default:
      throw new RangeError(
        `unknown distribution family '${(config as { family: string }).family}' (expected exponential or power-law)`,
      );
  }
}
