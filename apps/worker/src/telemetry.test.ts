import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, type StepMetrics } from '@awn/core';
import { WorkerTelemetry } from './telemetry.js';

function step(atMaxWidth: number[]): StepMetrics {
  return {
    step: 9,
    epoch: 0,
    loss: { total: 1, nll: 0.9, weightPrior: 0.1, ratePrior: 0 },
    widths: [40, 4096],
    rates: [0.06, 3e-6],
    widthChanges: [],
    atMaxWidth,
    globalBatch: 64,
    localBatch: 32,
    samplesPerSecond: 100,
    seconds: { data: 0, compute: 0.01, allreduce: 0, update: 0 },
  };
}

test('awn_layer_at_max_width is 1 for a layer at model.maxWidth and 0 once it leaves', async () => {
  // recordStep also reports the engine's memory, which needs a backend.
  await selectBackend('cpu');
  const t = new WorkerTelemetry({
    endpoint: undefined,
    runId: 'r',
    rank: 0,
    generation: 0,
    backend: 'cpu',
    version: '0',
  });
  const value = (layer: string) =>
    (
      t.recorder.snapshot().find((s) => s.name === 'awn_layer_at_max_width' && s.labels.layer === layer) as
        | { value: number }
        | undefined
    )?.value;
  t.recordStep(step([1]), 32, 0);
  assert.deepEqual([value('0'), value('1')], [0, 1]);
  t.recordStep(step([]), 32, 0);
  assert.deepEqual([value('0'), value('1')], [0, 0]);
  await t.close();
});
