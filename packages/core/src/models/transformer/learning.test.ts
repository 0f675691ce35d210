import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig, type Experiment, type RunConfig } from '../../experiment/index.js';
import { fit } from '../../train/fit.js';
import { truncationCurve } from '../../train/truncate.js';
import { isTextSplit } from '../../data/text/text-split.js';
import { unigramEntropyBits } from '../../data/text/unigram.js';
import { useBackend } from '../../testing/backends.js';

/** examples/tiny.json, the CI-sized preset. */
const TINY: RunConfig = parseRunConfig(
  JSON.parse(readFileSync(new URL('../../../../../examples/tiny.json', import.meta.url), 'utf8')),
  'examples/tiny.json',
);
const STEPS = 250;

function validationBytes(exp: Experiment): Uint8Array {
  const v = exp.splits.validation;
  assert.ok(isTextSplit(v));
  return v.bytes;
}

describe('tiny preset learns Moby-Dick (wasm: the CI backend; the cpu run follows below)', () => {
  let exp: Experiment | undefined;
  before(() => useBackend('wasm'));

  it(`after ${STEPS} steps validation bits per byte is far below the unigram entropy, and FFN widths moved`, async () => {
    exp = buildExperiment(TINY);
    const unigram = unigramEntropyBits(validationBytes(exp));
    const initial = exp.model.adaptiveLayers.map((l) => l.width);
    const history: number[][] = [];
    await fit({
      model: exp.model,
      optimizer: exp.optimizer,
      loss: exp.loss,
      train: exp.train,
      steps: STEPS,
      onStep: (m) => void history.push(m.widths),
    });
    const bpb = exp.score(exp.model, 'validation').bitsPerByte!;
    assert.ok(bpb < unigram - 0.75, `validation ${bpb.toFixed(3)} bits/byte vs unigram entropy ${unigram.toFixed(3)}`);
    const final = history[history.length - 1];
    assert.ok(
      final.some((w, i) => Math.abs(w - initial[i]) >= 10),
      `widths ${initial} → ${final}`,
    );
    assert.ok(new Set(history.map((w) => w.join(','))).size > 5, 'widths changed along the way');
  });

  it('truncation curve of validation bits per byte: 100 % equals the model, fewer neurons cost more bits', () => {
    assert.ok(exp, 'needs the trained model');
    const e = exp;
    const full = e.score(e.model, 'validation').bitsPerByte!;
    const curve = truncationCurve(e.model, (m) => e.score(m, 'validation').bitsPerByte!, [0.1, 0.5, 1]);
    assert.ok(Math.abs(curve[2].score - full) < 1e-4, `${curve[2].score} vs ${full}`);
    assert.ok(curve[0].score > curve[2].score, JSON.stringify(curve));
    assert.ok(curve[1].score < curve[0].score + 1e-3, JSON.stringify(curve));
    assert.equal(tf.memory().numTensors, 0);
  });
});

describe('tiny preset on cpu follows the same trajectory as on wasm', () => {
  it('3 steps: equal widths, losses within 1e-4 relative (cpu is ~10× slower, so the long run is on wasm)', async () => {
    const config = parseRunConfig({ ...TINY, training: { ...TINY.training, batchSize: 8 } });
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      const exp = buildExperiment(config);
      const losses: number[] = [];
      await fit({
        model: exp.model,
        optimizer: exp.optimizer,
        loss: exp.loss,
        train: exp.train,
        steps: 3,
        onStep: (m) => void losses.push(m.loss.total),
      });
      return {
        losses,
        widths: exp.model.adaptiveLayers.map((l) => l.width),
        rates: exp.model.adaptiveLayers.map((l) => l.rate!),
      };
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    assert.deepEqual(cpu.widths, wasm.widths);
    cpu.losses.forEach((l, i) =>
      assert.ok(Math.abs(l - wasm.losses[i]) <= 1e-4 * Math.abs(l), `step ${i}: cpu ${l} vs wasm ${wasm.losses[i]}`),
    );
    cpu.rates.forEach((r, i) => assert.ok(Math.abs(r - wasm.rates[i]) <= 1e-4 * r, `rate ${i}`));
  });
});
