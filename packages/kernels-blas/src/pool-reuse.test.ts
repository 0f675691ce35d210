// A real @awn/core training step on the cpu backend with the native kernels reuses the pool's
// buffers from the second step on: the parameter gradients are copied into the flat gradient
// without escaping (core's readInto), so they return to the pool, and the pool holds no more than
// the step needs (src/pool.ts, borrowing). @awn/core depends on this package, so it is imported by
// a computed name and the test is skipped when it is not built.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasAvailable, cpuPoolStats } from './index.js';

interface Core {
  selectBackend(name: 'cpu'): Promise<{ blas: { enabled: boolean } }>;
  parseRunConfig(json: unknown): unknown;
  buildExperiment(config: unknown): { model: unknown; optimizer: unknown; loss: unknown; train: unknown };
  trainStep(options: unknown, step: number): Promise<{ loss: { total: number }; widths: number[] }>;
}

test('steps after the first allocate no new buffers, and the pool stays the size of one step', async (t) => {
  const avail = blasAvailable();
  if (!avail.available) return t.skip(`addon unavailable: ${avail.reason}`);
  let core: Core;
  try {
    const spec = '@awn/core';
    core = (await import(spec)) as Core;
  } catch (err) {
    return t.skip(`@awn/core not built: ${err instanceof Error ? err.message : String(err)}`);
  }
  const info = await core.selectBackend('cpu');
  assert.equal(info.blas.enabled, true);
  // Fixed widths, so every step asks for the same shapes; the FFN is wide enough that a step's
  // parameter gradients ([dModel, width] and [width, dModel] per block) far outweigh rounding.
  const exp = core.buildExperiment(
    core.parseRunConfig({
      name: 'pool-reuse',
      seed: 5,
      backend: 'cpu',
      data: { dataset: 'moby-dick', sequenceLength: 32 },
      model: {
        type: 'transformer',
        blocks: 3,
        dModel: 48,
        heads: 4,
        context: 32,
        adaptive: false,
        ffnWidths: [384, 384, 384],
      },
      training: { steps: 100, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.001 } },
    }),
  );
  const options = { ...exp, steps: 100 };
  for (let s = 0; s < 2; s++) await core.trainStep(options, s);
  const warm = cpuPoolStats()!;
  for (let s = 2; s < 6; s++) {
    const m = await core.trainStep(options, s);
    assert.ok(Number.isFinite(m.loss.total));
  }
  const after = cpuPoolStats()!;
  // What may still miss: the loss terms, scalars read with dataSync, which the pool must not reuse.
  const fresh = after.missedBytes - warm.missedBytes;
  assert.ok(fresh <= 4 * 4 * 16, `steps 2-5 allocated ${fresh} bytes in ${after.misses - warm.misses} fresh buffers`);
  assert.ok(after.hits > warm.hits, 'the steps were served from the pool');
  assert.equal(after.bytes, warm.bytes, 'the pool holds the same buffers after every step');
});
