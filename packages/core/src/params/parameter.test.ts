import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parameter, withoutInitialValues } from './parameter.js';
import { copyLeadingBlock } from './copy.js';

const counter = () => {
  let k = 0;
  return () => ++k;
};

describe('Parameter capacity buffer', () => {
  it('reads back the active block row-major', () => {
    const p = new Parameter('w', 'weight', [2, 3], (i, j) => 10 * i + j, [4, 5]);
    assert.deepEqual(Array.from(p.read()), [0, 1, 2, 10, 11, 12]);
    assert.deepEqual(p.capacity, [4, 5]);
  });

  it('growing inside capacity keeps retained values and slots bit for bit and zeroes new slots', () => {
    const p = new Parameter('w', 'weight', [3, 4], (i, j) => Math.sin(i * 7 + j) * 1e-3, [3, 8]);
    const m = p.slot('m');
    m.forEach((_, k) => (m[k] = (k + 1) * 1.000001));
    const before = p.read();
    const mBefore = p.readSlot('m');
    p.resize([3, 6], () => 42);
    assert.equal(p.reallocations, 0);
    const after = p.read();
    const mAfter = p.readSlot('m');
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 6; j++) {
        if (j < 4) {
          assert.equal(after[i * 6 + j], before[i * 4 + j]);
          assert.equal(mAfter[i * 6 + j], mBefore[i * 4 + j]);
        } else {
          assert.equal(after[i * 6 + j], 42);
          assert.equal(mAfter[i * 6 + j], 0);
        }
      }
    }
  });

  it('shrink then grow re-initialises the returning region instead of resurrecting stale state', () => {
    const p = new Parameter('b', 'bias', [5], () => 1, [8]);
    p.slot('v').fill(7);
    p.resize([2], () => 0);
    p.resize([4], () => -1);
    assert.deepEqual(Array.from(p.read()), [1, 1, -1, -1]);
    assert.deepEqual(Array.from(p.readSlot('v')), [7, 7, 0, 0]);
  });

  it('outgrowing capacity reallocates geometrically and preserves the block', () => {
    const next = counter();
    const p = new Parameter('w', 'weight', [2, 2], next, [2, 2]);
    p.slot('m').set([1, 2, 3, 4]);
    p.resize([2, 3], () => 0);
    assert.equal(p.reallocations, 1);
    assert.deepEqual(p.capacity, [2, 3]);
    assert.deepEqual(Array.from(p.read()), [1, 2, 0, 3, 4, 0]);
    assert.deepEqual(Array.from(p.readSlot('m')), [1, 2, 0, 3, 4, 0]);
    p.resize([2, 10], () => 0);
    assert.equal(p.reallocations, 2);
    p.resize([2, 9], () => 0);
    p.resize([2, 10], () => 0);
    assert.equal(p.reallocations, 2, 'shrinking and regrowing inside capacity moves no memory');
  });

  it('rows and columns both resize (the next layer grows by rows)', () => {
    const p = new Parameter('w', 'weight', [2, 2], (i, j) => i * 2 + j, [3, 2]);
    p.resize([3, 2], (i, j) => 100 + i * 2 + j);
    assert.deepEqual(Array.from(p.read()), [0, 1, 2, 3, 104, 105]);
  });

  it('write rejects the wrong length, naming the parameter', () => {
    const p = new Parameter('hidden0.weight', 'weight', [2, 2], () => 0);
    assert.throws(() => p.write([1, 2, 3]), /hidden0\.weight/);
  });

  it('copyLeadingBlock keeps the first rows and columns', () => {
    const src = new Parameter('w', 'weight', [3, 3], (i, j) => i * 3 + j);
    const dst = new Parameter('w', 'weight', [2, 2], () => 0);
    copyLeadingBlock(src, dst);
    assert.deepEqual(Array.from(dst.read()), [0, 1, 3, 4]);
    assert.throws(() => copyLeadingBlock(dst, src), /cannot copy/);
  });

  it('withoutInitialValues leaves values at zero, never calls the initializer, and ends with its scope', () => {
    let calls = 0;
    const init = () => {
      calls++;
      return 7;
    };
    const p = withoutInitialValues(() => {
      const q = new Parameter('w', 'weight', [2, 2], init, [3, 3]);
      q.resize([3, 3], init);
      return q;
    });
    assert.equal(calls, 0);
    assert.deepEqual(Array.from(p.read()), new Array(9).fill(0));
    assert.throws(
      () =>
        withoutInitialValues(() => {
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.deepEqual(Array.from(new Parameter('w', 'weight', [2], init).read()), [7, 7], 'drawing again after a throw');
  });

  it('aliasLeadingBlockOf views the source buffer: same leading block, later writes seen, no slots', () => {
    const src = new Parameter('w', 'weight', [3, 3], (i, j) => i * 3 + j, [4, 5]);
    src.slot('m').fill(1);
    const view = new Parameter('w', 'weight', [2, 2], () => 0);
    view.aliasLeadingBlockOf(src);
    assert.deepEqual(Array.from(view.read()), [0, 1, 3, 4]);
    src.write([9, 9, 9, 9, 9, 9, 9, 9, 9]);
    assert.deepEqual(Array.from(view.read()), [9, 9, 9, 9]);
    assert.deepEqual(Array.from(view.readSlot('m')), [0, 0, 0, 0], 'slots stay its own');
    assert.throws(() => new Parameter('w', 'weight', [4, 1], () => 0).aliasLeadingBlockOf(src), /cannot alias/);
  });
});
