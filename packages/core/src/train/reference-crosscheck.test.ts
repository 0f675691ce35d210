import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { spiral } from '../data/synthetic.js';
import { AdaptiveMlp } from '../models/mlp.js';
import { Adam } from '../optim/adam.js';
import { Prng } from '../random/prng.js';
import { selectBackend } from '../backend/select-backend.js';
import type { BatchSource, TensorBatch } from './batch.js';
import { fit, type StepMetrics } from './fit.js';

/**
 * Cross-check of the AWN MLP training step against a second implementation written separately
 * from the equations: packages/core/reference/awn_reference.py (PyTorch, float64, autograd
 * through f, textbook Adam). Both start from the same parameters and see the same batches and
 * the same growth draws; the test compares loss terms, rates and widths at every step.
 */
const PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('../../reference/awn_reference.py', import.meta.url));
const torchMissing = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is not available (${probe.error.message}); install Debian's python3-torch`;
  return probe.status === 0
    ? false
    : `${PYTHON} cannot import torch; install Debian's python3-torch (${probe.stderr.trim().split('\n').pop()})`;
})();

const STEPS = 240;
const BATCH = 64;
const HYPER = {
  learningRate: 0.03,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  nObservations: 2000,
  weightPriorStd: 1,
  rateMean: 0.05,
  rateStd: 0.05,
  quantile: 0.9,
  maxWidth: 4096,
  minRate: 0.03,
};
/** Largest relative difference allowed between the float32 run and the float64 reference. */
const TOLERANCE = { loss: 1e-3, rate: 1e-3 };

/** Fixed batches of the Spiral training data, drawn once and fed to both implementations. */
function batches(): { x: number[]; y: number[] }[] {
  const data = spiral(2);
  const prng = Prng.fromKey(7, 1);
  return Array.from({ length: STEPS }, () => {
    const idx = Array.from({ length: BATCH }, () => Math.floor(prng.uniform() * data.n));
    return { x: idx.flatMap((i) => [data.x[2 * i], data.x[2 * i + 1]]), y: idx.map((i) => data.y[i]) };
  });
}

class FixedBatches implements BatchSource {
  private i = 0;
  constructor(private readonly list: { x: number[]; y: number[] }[]) {}
  next(): TensorBatch {
    const b = this.list[this.i++];
    return {
      inputs: tf.tensor2d(b.x, [b.y.length, 2]),
      targets: tf.tensor1d(b.y, 'int32'),
      size: b.y.length,
      epoch: 0,
    };
  }
  cursor() {
    return { i: this.i };
  }
  restore(c: Record<string, number>) {
    this.i = c.i;
  }
}

const dump = (model: AdaptiveMlp) =>
  Object.fromEntries(model.parameters.map((p) => [p.name, { shape: p.shape, values: Array.from(p.read()) }]));
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('cross-check against an independent PyTorch reference', () => {
  // tfjs's own cpu kernels, not the native ones: their float32 rounding is the same on every x86
  // CPU, while the addon's (glibc's expf, OpenBLAS) pick code paths by CPU, and 240 steps with
  // width changes amplify a last-bit difference past the tolerance (3e-3 at step 175 on an AVX-512
  // EPYC, 4e-4 with tfjs's kernels). The native kernels are held to tfjs's own by their parity tests.
  before(async () => {
    const info = await selectBackend('cpu', undefined, { blas: false });
    assert.equal(info.blas.enabled, false);
  });

  it(`${STEPS} steps of a 2-hidden-layer AWN on Spiral agree with the reference: widths exactly, loss terms and λ within ${TOLERANCE.loss} relative`, {
    skip: torchMissing,
  }, async () => {
    const model = new AdaptiveMlp({
      inputDim: 2,
      outputDim: 2,
      task: 'classification',
      hiddenLayers: 2,
      adaptive: true,
      initialRate: 0.05,
      distribution: { family: 'exponential', quantile: HYPER.quantile, lowerBound: HYPER.minRate },
      seed: 3,
    });
    const list = batches();
    const initial = dump(model);
    const growth: Record<string, ReturnType<typeof dump>> = {};
    const ours: StepMetrics[] = [];
    await fit({
      model,
      optimizer: new Adam({
        learningRate: HYPER.learningRate,
        beta1: HYPER.beta1,
        beta2: HYPER.beta2,
        epsilon: HYPER.epsilon,
      }),
      loss: {
        nObservations: HYPER.nObservations,
        weightPriorStd: HYPER.weightPriorStd,
        rateMean: HYPER.rateMean,
        rateStd: HYPER.rateStd,
      },
      train: new FixedBatches(list),
      steps: STEPS,
      onStep: (m) => {
        ours.push(m);
        if (m.widthChanges.some((c) => c.to > c.from)) growth[m.step] = dump(model);
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'awn-crosscheck-'));
    try {
      const spec = {
        hyper: HYPER,
        inputDim: 2,
        layers: model.layers.map((l) => ({ weight: l.weight.name, bias: l.bias.name, rate: l.rawRate!.name })),
        output: { weight: model.outputWeight.name, bias: model.outputBias.name },
        initial,
        batches: list,
        growth,
      };
      writeFileSync(join(dir, 'in.json'), JSON.stringify(spec));
      const run = spawnSync(PYTHON, [REFERENCE, join(dir, 'in.json'), join(dir, 'out.json')], { encoding: 'utf8' });
      assert.equal(run.status, 0, `reference failed: ${run.stderr}`);
      const theirs = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).steps as {
        nll: number;
        weightPrior: number;
        ratePrior: number;
        total: number;
        rates: number[];
        widths: number[];
      }[];
      assert.equal(theirs.length, STEPS);
      let grew = 0;
      let shrank = 0;
      let atBound = 0;
      const worst = { loss: 0, rate: 0 };
      for (let s = 0; s < STEPS; s++) {
        const a = ours[s];
        const b = theirs[s];
        assert.deepEqual(a.widths, b.widths, `widths after step ${s}`);
        for (const term of ['nll', 'weightPrior', 'ratePrior', 'total'] as const) {
          const d = relative(a.loss[term], b[term]);
          worst.loss = Math.max(worst.loss, d);
          assert.ok(d <= TOLERANCE.loss, `step ${s} ${term}: ${a.loss[term]} vs reference ${b[term]}`);
        }
        a.rates.forEach((r, i) => {
          const d = relative(r, b.rates[i]);
          worst.rate = Math.max(worst.rate, d);
          assert.ok(d <= TOLERANCE.rate, `step ${s} λ${i}: ${r} vs reference ${b.rates[i]}`);
        });
        if (a.rates.some((r) => relative(r, HYPER.minRate) < 1e-6)) atBound++;
        grew += a.widthChanges.filter((c) => c.to > c.from).length;
        shrank += a.widthChanges.filter((c) => c.to < c.from).length;
      }
      assert.ok(
        grew >= 3 && shrank >= 3,
        `the run must exercise growth and shrinking (grew ${grew}, shrank ${shrank})`,
      );
      assert.ok(atBound >= 3, `the run must exercise the λ lower bound (${atBound} steps at it)`);
      console.log(
        `cross-check: ${STEPS} steps, ${grew} growths, ${shrank} shrinks, ${atBound} steps with λ at its bound, widths ${ours[0].widths} → ${ours[STEPS - 1].widths}; worst relative difference: loss ${worst.loss.toExponential(1)}, λ ${worst.rate.toExponential(1)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
