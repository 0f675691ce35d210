// The MNIST training rows the MLP benchmarks time, or random rows of the same shape when the
// optional `mnist` package is absent (the figures are about speed, not accuracy).
import { Adam, DatasetBatchSource, loadMnist } from '@awn/core';

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

/** The MNIST MLP benchmarks' batch size and loss (N = MNIST's 60 000 training examples). */
export const MNIST_BATCH = 128;
export const MNIST_LOSS = { nObservations: 60000, weightPriorStd: 1 };

/**
 * `trainStep` options for timing `model` on `data` step after step: a small learning rate so the
 * widths stay where the benchmark put them, and a batch stream that never ends.
 */
export function timedStepOptions(model, data) {
  return {
    model,
    loss: MNIST_LOSS,
    steps: Number.MAX_SAFE_INTEGER,
    optimizer: new Adam({ learningRate: 1e-4 }),
    train: new DatasetBatchSource(data, { batchSize: MNIST_BATCH, seed: 3 }),
  };
}
