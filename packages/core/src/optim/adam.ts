import type { Parameter } from '../params/parameter.js';
import { hostKernels } from './host-kernels.js';
import { checkGradientLength, clipScale, type Optimizer, type OptimizerConfig } from './optimizer.js';

type AdamConfig = Extract<OptimizerConfig, { type: 'adam' }>;

/**
 * Adam on host buffers, one fused loop per parameter. Besides surviving resizes (see
 * {@link Optimizer}), a fused loop beats tfjs's ten separate element-wise kernels per tensor.
 */
export class Adam implements Optimizer {
  readonly config: AdamConfig;
  readonly slotNames = ['m', 'v'] as const;
  stepCount = 0;

  constructor(config: Omit<AdamConfig, 'type'>) {
    if (!(config.learningRate > 0))
      throw new RangeError(`optimizer.learningRate must be > 0, got ${config.learningRate}`);
    if (config.weightDecay !== undefined && !(config.weightDecay >= 0))
      throw new RangeError(`optimizer.weightDecay must be >= 0, got ${config.weightDecay}`);
    this.config = { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...config };
  }

  apply(params: readonly Parameter[], gradient: Float32Array): void {
    checkGradientLength(params, gradient);
    const { learningRate: lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = this.config;
    const scale = clipScale(gradient, this.config.clipNorm);
    this.stepCount++;
    const c1 = 1 - beta1 ** this.stepCount;
    const c2 = 1 - beta2 ** this.stepCount;
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    const eps = epsilon * Math.sqrt(c2);
    const native = hostKernels();
    const decay = this.config.weightDecay ?? 0;
    let scaleInLoop = scale;
    if (decay > 0) {
      // torch.optim.Adam's weight_decay (the authors' Transformer setting): g ← g + wd·θ after
      // clipping, on every parameter, the raw rates included (which pulls λ up, the widths down).
      foldWeightDecay(params, gradient, scale, decay);
      scaleInLoop = 1;
    }
    let offset = 0;
    for (const p of params) {
      const { values, stride, rows, cols } = p.buffers();
      const m = p.slot('m');
      const v = p.slot('v');
      if (native) {
        // The same update in one vectorised C loop (float32 arithmetic instead of JS doubles).
        native.adam(values, m, v, gradient, offset, rows, cols, stride, scaleInLoop, beta1, beta2, stepSize, eps);
        offset += rows * cols;
        continue;
      }
      for (let i = 0; i < rows; i++) {
        const base = i * stride;
        const g0 = offset + i * cols;
        for (let j = 0; j < cols; j++) {
          const k = base + j;
          const g = gradient[g0 + j] * scaleInLoop;
          const mk = beta1 * m[k] + (1 - beta1) * g;
          const vk = beta2 * v[k] + (1 - beta2) * g * g;
          m[k] = mk;
          v[k] = vk;
          // Same update as Adam with bias correction folded into step size and epsilon.
          values[k] -= (stepSize * mk) / (Math.sqrt(vk) + eps);
        }
      }
      offset += rows * cols;
    }
  }
}

/** gradient ← gradient·scale + decay·θ, in place, over every parameter's live block. */
function foldWeightDecay(params: readonly Parameter[], gradient: Float32Array, scale: number, decay: number): void {
  let offset = 0;
  for (const p of params) {
    const { values, stride, rows, cols } = p.buffers();
    for (let i = 0; i < rows; i++) {
      const base = i * stride;
      const g0 = offset + i * cols;
      for (let j = 0; j < cols; j++) gradient[g0 + j] = gradient[g0 + j] * scale + decay * values[base + j];
    }
    offset += rows * cols;
  }
}
