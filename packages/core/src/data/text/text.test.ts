import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { decodeBytes, encodeBytes } from './byte-tokenizer.js';
import { loadMobyDick } from './moby-dick.js';
import { TextWindows } from './text-windows.js';
import { textChunks } from './text-batches.js';
import { unigramEntropyBits } from './unigram.js';
import { TEST_BACKENDS, useBackend } from '../../testing/backends.js';

const text = encodeBytes(
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse. '.repeat(20),
);

describe('byte tokenizer', () => {
  it('round-trips UTF-8 text, multi-byte characters included', () => {
    const s = 'whale — Ahab’s “Pequod”';
    const bytes = encodeBytes(s);
    assert.ok(bytes.length > s.length, 'the dashes and quotes take several bytes');
    assert.equal(decodeBytes(bytes), s);
  });
});

describe('unigram entropy', () => {
  it('is 8 bits for uniform bytes, 0 for a constant, 1 for two equally frequent bytes', () => {
    assert.equal(unigramEntropyBits(Uint8Array.from({ length: 512 }, (_, i) => i % 256)), 8);
    assert.equal(unigramEntropyBits(new Uint8Array(10).fill(7)), 0);
    assert.equal(unigramEntropyBits(Uint8Array.from([1, 2, 1, 2])), 1);
  });
});

describe('Moby-Dick corpus', () => {
  it('holds out the last chapters: test = 132–135 + epilogue, validation the 5 before, train the rest', () => {
    const c = loadMobyDick();
    assert.deepEqual(c.sections.test, ['132', '133', '134', '135', 'Epilogue']);
    assert.deepEqual(c.sections.validation, ['127', '128', '129', '130', '131']);
    assert.equal(c.sections.train.length, 126);
    assert.equal(c.sections.train[0], '1');
    assert.ok(decodeBytes(c.train.subarray(0, 16)).startsWith('Call me Ishmael.'));
    assert.ok(
      c.train.length > 1e6 && c.validation.length > 2e4 && c.test.length > 5e4,
      `${c.train.length} / ${c.validation.length} / ${c.test.length}`,
    );
    assert.equal(loadMobyDick(), c, 'cached per process');
    assert.throws(() => loadMobyDick({ validationChapters: 100, testChapters: 40 }), /no training text/);
  });
});

describe('TextWindows', () => {
  const options = { sequenceLength: 16, batchSize: 6, seed: 5 };

  it('targets are the inputs shifted by one byte of the text', () => {
    const w = new TextWindows(text, options);
    const b = w.next();
    assert.equal(b.size, 6);
    for (let k = 0; k < b.size; k++) {
      const row = b.inputs.subarray(k * 16, (k + 1) * 16);
      const start = w.windowStarts(0)[k];
      assert.deepEqual(Array.from(row), Array.from(text.subarray(start, start + 16)));
      assert.deepEqual(
        Array.from(b.targets.subarray(k * 16, (k + 1) * 16)),
        Array.from(text.subarray(start + 1, start + 17)),
      );
    }
  });

  it('an epoch visits non-overlapping windows once, with a seeded phase and order that change per epoch', () => {
    const w = new TextWindows(text, options);
    const e0 = Array.from(w.windowStarts(0));
    const e1 = Array.from(w.windowStarts(1));
    assert.equal(new Set(e0).size, e0.length);
    const sorted = [...e0].sort((a, b) => a - b);
    sorted.forEach((s, i) => assert.equal(s, sorted[0] + 16 * i));
    assert.ok(sorted[sorted.length - 1] + 17 <= text.length, 'the last window has its target byte');
    assert.notDeepEqual(e0, e1);
    assert.deepEqual(Array.from(new TextWindows(text, options).windowStarts(1)), e1, 'same seed, same windows');
  });

  it('the union of the ranks’ shards of a step is the single-rank batch, for 1–4 ranks', () => {
    const single = new TextWindows(text, options);
    const ranks = [2, 3, 4].map((worldSize) =>
      Array.from({ length: worldSize }, (_, rank) => new TextWindows(text, { ...options, worldSize, rank })),
    );
    for (let step = 0; step < 12; step++) {
      const whole = single.next();
      for (const group of ranks) {
        const parts = group.map((r) => r.next());
        assert.deepEqual(
          parts.flatMap((p) => Array.from(p.inputs)),
          Array.from(whole.inputs),
          `step ${step}, ${group.length} ranks`,
        );
        assert.equal(
          parts.reduce((n, p) => n + p.size, 0),
          whole.size,
        );
      }
    }
  });

  it('restoring a cursor resumes with exactly the next batch, whatever the world size', () => {
    const a = new TextWindows(text, options);
    for (let i = 0; i < 9; i++) a.next();
    const cursor = a.cursor();
    const expected = a.next();
    const b = new TextWindows(text, { ...options, worldSize: 2, rank: 1 });
    b.restore(cursor);
    assert.deepEqual(Array.from(b.next().inputs), Array.from(expected.inputs.subarray(3 * 16)));
    assert.throws(() => b.restore({ epoch: 0, offset: a.windowsPerEpoch }), /outside the \d+ windows/);
    b.restore({ epoch: 0, offset: 5 });
    assert.equal(b.next().stepInEpoch, Math.floor(5 / options.batchSize));
  });
});

for (const backend of TEST_BACKENDS)
  describe(`textChunks (evaluation) on ${backend}`, () => {
    before(() => useBackend(backend));
    it('predicts every byte after the first exactly once; padding is masked out', () => {
      const bytes = text.subarray(0, 100);
      const targets: number[] = [];
      let batches = 0;
      for (const b of textChunks(bytes, 16, 3)) {
        const t = b.targets.dataSync();
        const m = b.mask!.dataSync();
        for (let i = 0; i < t.length; i++) if (m[i] === 1) targets.push(t[i]);
        tf.dispose([b.inputs, b.targets, b.mask!]);
        batches++;
      }
      assert.deepEqual(targets, Array.from(bytes.subarray(1)));
      assert.equal(batches, 3, '7 windows of 16 in batches of 3');
      assert.equal(tf.memory().numTensors, 0);
    });
  });
