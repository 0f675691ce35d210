// The MNIST training rows the MLP benchmarks time, or random rows of the same shape when the
// optional `mnist` package is absent (the figures are about speed, not accuracy).
import { loadMnist } from '@awn/core';

/** `n` training examples and a line saying where they came from. */
export function mnistData(n) {
  try {
    return { data: loadMnist({ trainCount: n, testCount: 16, seed: 1 }).train, source: 'MNIST (mnist package)' };
  } catch (error) {
    const x = Float32Array.from({ length: n * 784 }, () => Math.random());
    const y = Int32Array.from({ length: n }, (_, i) => i % 10);
    const data = {
      name: 'random-mnist',
      task: 'classification',
      inputDim: 784,
      outputDim: 10,
      numClasses: 10,
      n,
      x,
      y,
    };
    return { data, source: `random MNIST-shaped data (${error.message.split('\n')[0]})` };
  }
}
