import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig, ConfigError } from './index.js';
import { TransformerLm } from '../models/transformer/index.js';
import { AdaptiveMlp } from '../models/mlp.js';
import { useBackend } from '../testing/backends.js';

const preset = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../../examples/${name}.json`, import.meta.url), 'utf8'));

function problems(value: unknown): string[] {
  try {
    parseRunConfig(value);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('run config: Transformer and text data', () => {
  it('the tiny and small presets parse into the sizes the issue asks for', () => {
    const tiny = parseRunConfig(preset('tiny'));
    const small = parseRunConfig(preset('small'));
    assert.ok(tiny.model.type === 'transformer' && small.model.type === 'transformer');
    assert.deepEqual([tiny.model.blocks, tiny.model.dModel, tiny.model.context], [2, 64, 64]);
    assert.deepEqual([small.model.blocks, small.model.dModel, small.model.heads, small.model.context], [4, 128, 4, 128]);
    assert.equal(tiny.data.dataset, 'moby-dick');
  });

  it('MLP configs without model.type (and without model) still mean an MLP with the old defaults', () => {
    const a = parseRunConfig({ data: { dataset: 'spiral' }, model: { hiddenLayers: 3 }, training: { steps: 1 } });
    const b = parseRunConfig({ data: { dataset: 'spiral' }, training: { steps: 1 } });
    assert.equal(a.model.type, 'mlp');
    assert.deepEqual(b.model, { type: 'mlp', hiddenLayers: 2, adaptive: true, initialRate: 0.01, maxWidth: 4096, activation: 'relu6', distribution: { family: 'exponential', quantile: 0.9 }, capacityFactor: 1.5 });
  });

  it('names the bad field: model/data mismatch, heads not dividing dModel, missing fixed widths, unknown fields, long sequences', () => {
    assert.deepEqual(problems({ data: { dataset: 'moby-dick' }, training: { steps: 1 } }), ["model.type: text data set 'moby-dick' needs model.type 'transformer'"]);
    assert.deepEqual(problems({ data: { dataset: 'spiral' }, model: { type: 'transformer' }, training: { steps: 1 } }), ["model.type: model.type 'transformer' needs a text data set (moby-dick, text)"]);
    const t = (model: object, data: object = {}) => problems({ data: { dataset: 'moby-dick', ...data }, model: { type: 'transformer', ...model }, training: { steps: 1 } });
    assert.deepEqual(t({ heads: 3 }), ['model.heads: heads must divide dModel']);
    assert.deepEqual(t({ adaptive: false }), ['model.ffnWidths: a fixed-width Transformer (adaptive: false) needs one FFN width per block']);
    assert.deepEqual(t({ hiddenLayers: 2 }), ["model: unknown field 'hiddenLayers'"]);
    assert.deepEqual(t({ context: 32 }, { sequenceLength: 64 }), ['data.sequenceLength: must be ≤ model.context (32)']);
    assert.deepEqual(t({ dropout: 1 }).length, 1);
  });
});

describe('buildExperiment for a Transformer run (wasm)', () => {
  before(() => useBackend('wasm'));
  const config = parseRunConfig({
    seed: 3,
    data: { dataset: 'moby-dick', sequenceLength: 16 },
    model: { type: 'transformer', blocks: 1, dModel: 16, heads: 2, context: 32, adaptive: false, ffnWidths: [24] },
    training: { steps: 1, batchSize: 6 },
  });

  it('builds the Transformer, N = training bytes, metric bits per byte; the MLP path is unchanged', () => {
    const exp = buildExperiment(config);
    assert.ok(exp.model instanceof TransformerLm);
    assert.deepEqual(exp.model.adaptiveLayers.map((l) => l.width), [24]);
    assert.deepEqual(exp.metric, { name: 'bitsPerByte', higherIsBetter: false });
    assert.ok(exp.loss.nObservations > 1e6);
    assert.equal(exp.splits.train.n, Math.floor(exp.loss.nObservations / 16));
    const scores = exp.score(exp.model, 'validation');
    assert.ok(Math.abs(scores.bitsPerByte! - scores.nll / Math.LN2) < 1e-12 && scores.bitsPerByte! > 6, `untrained: ${scores.bitsPerByte}`);
    assert.ok(buildExperiment(parseRunConfig({ data: { dataset: 'doublemoon' }, training: { steps: 1 } })).model instanceof AdaptiveMlp);
  });

  it('two ranks’ batches of a step concatenate to the single-process batch', () => {
    const single = buildExperiment(config).train;
    const ranks = [0, 1].map((rank) => buildExperiment(config, { rank, worldSize: 2 }).train);
    for (let step = 0; step < 3; step++) {
      const whole = single.next();
      const parts = ranks.map((r) => r.next());
      assert.deepEqual(parts.map((p) => p.size), [3, 3]);
      assert.deepEqual([...parts[0].inputs.dataSync(), ...parts[1].inputs.dataSync()], [...whole.inputs.dataSync()]);
      assert.deepEqual([...parts[0].targets.dataSync(), ...parts[1].targets.dataSync()], [...whole.targets.dataSync()]);
      tf.dispose([whole.inputs, whole.targets, ...parts.flatMap((p) => [p.inputs, p.targets])]);
    }
    assert.equal(tf.memory().numTensors, 0);
  });
});
