import type { Parameter } from '../params/parameter.js';
import { checkGradientLength, clipScale, type Optimizer, type OptimizerConfig } from './optimizer.js';

type SgdConfig = Extract<OptimizerConfig, { type: 'sgd' }>;

/** SGD with (optionally Nesterov) momentum; the momentum buffer resizes with the parameter. */
export class Sgd implements Optimizer {
  readonly config: SgdConfig;
  readonly slotNames = ['momentum'] as const;
  stepCount = 0;

  constructor(config: Omit<SgdConfig, 'type'>) {
    if (!(config.learningRate > 0))
      throw new RangeError(`optimizer.learningRate must be > 0, got ${config.learningRate}`);
    if (config.momentum !== undefined && !(config.momentum >= 0 && config.momentum < 1)) {
      throw new RangeError(`optimizer.momentum must be in [0, 1), got ${config.momentum}`);
    }
    this.config = { type: 'sgd', momentum: 0, nesterov: false, ...config };
  }

  apply(params: readonly Parameter[], gradient: Float32Array): void {
    checkGradientLength(params, gradient);
    const { learningRate: lr, momentum = 0, nesterov = false } = this.config;
    const scale = clipScale(gradient, this.config.clipNorm);
    this.stepCount++;
    let offset = 0;
    for (const p of params) {
      const { values, stride, rows, cols } = p.buffers();
      const buf = momentum > 0 ? p.slot('momentum') : undefined;
      for (let i = 0; i < rows; i++) {
        const base = i * stride;
        const g0 = offset + i * cols;
        for (let j = 0; j < cols; j++) {
          const k = base + j;
          const g = gradient[g0 + j] * scale;
          if (!buf) {
            values[k] -= lr * g;
            continue;
          }
          const b = momentum * buf[k] + g;
          buf[k] = b;
          values[k] -= lr * (nesterov ? g + momentum * b : b);
        }
      }
      offset += rows * cols;
    }
  }
}
