import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainingState, selectBackend, type TrainingState } from '@awn/core';
import { awn } from './helpers.js';

/**
 * Data-parallel training must not change the mathematics: 1 worker with global batch B, 2 with
 * B/2 and 4 with B/4 see the same global batches, average gradients weighted by local batch size,
 * and apply the same update. Only float32 summation order differs.
 */
const STEPS = 50;
const CONFIG = {
  name: 'equivalence',
  seed: 5,
  backend: 'cpu',
  data: { dataset: 'doublemoon' },
  model: { hiddenLayers: 2, initialRate: 0.05 },
  loss: { weightPriorStd: 1 },
  training: { steps: STEPS, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.05 }, logEvery: 1 },
};
/** Largest |Δ| allowed between runs, relative to max(1, |value|): float32 summation-order noise after 50 Adam steps. */
const TOLERANCE = 2e-3;

describe('data-parallel equivalence (real processes over loopback)', () => {
  let dir = '';
  const states = new Map<number, TrainingState>();
  const widthLog = new Map<number, number[][]>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-equiv-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify(CONFIG));
    await selectBackend('cpu');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const workers of [1, 2, 4]) {
    it(`trains ${STEPS} steps with ${workers} worker${workers > 1 ? 's' : ''} (global batch 64 = ${workers} × ${64 / workers})`, async () => {
      const out = join(dir, `w${workers}`);
      const r = await awn(
        ['train', '--config', join(dir, 'config.json'), '--workers', String(workers), '--out', out],
        180_000,
      );
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      assert.equal(summary.worldSize, workers);
      assert.equal(summary.steps, STEPS);
      const ckpts = await readdir(join(out, 'checkpoints'));
      states.set(workers, await loadTrainingState(join(out, 'checkpoints', ckpts[ckpts.length - 1])));
      const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, STEPS, 'one metrics line per step (logEvery 1)');
      widthLog.set(
        workers,
        lines.map((l) => l.widths),
      );
    });
  }

  it('every world size ends with the same widths at every step, and they changed', () => {
    const one = widthLog.get(1)!;
    assert.ok(new Set(one.map((w) => w.join(','))).size > 5, 'widths changed during the run');
    assert.deepEqual(widthLog.get(2), one);
    assert.deepEqual(widthLog.get(4), one);
  });

  it(`parameters and Adam moments agree within ${TOLERANCE} (relative) across 1, 2 and 4 workers`, () => {
    const reference = states.get(1)!;
    for (const workers of [2, 4]) {
      const other = states.get(workers)!;
      assert.equal(other.step, STEPS);
      assert.equal(other.optimizer.stepCount, reference.optimizer.stepCount);
      const byName = new Map(other.model.parameters.map((p) => [p.name, p]));
      let worst = 0;
      for (const p of reference.model.parameters) {
        const q = byName.get(p.name)!;
        assert.deepEqual(q.shape, p.shape, p.name);
        const a = p.read();
        const b = q.read();
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
      }
      assert.ok(worst < TOLERANCE, `${workers} workers: worst relative difference ${worst}`);
    }
  });
});
