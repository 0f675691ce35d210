import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matMulLayout } from './layout.js';

const triples = (b: Float64Array | null) => (b ? Array.from(b) : null);

test('2-D operands: dims and no batch, for all four transposition cases', () => {
  assert.deepEqual(matMulLayout([3, 5], [5, 7], false, false), { m: 3, n: 7, k: 5, outShape: [3, 7], batch: null });
  assert.deepEqual(matMulLayout([3, 5], [7, 5], false, true), { m: 3, n: 7, k: 5, outShape: [3, 7], batch: null });
  assert.deepEqual(matMulLayout([5, 3], [5, 7], true, false), { m: 3, n: 7, k: 5, outShape: [3, 7], batch: null });
  assert.deepEqual(matMulLayout([5, 3], [7, 5], true, true), { m: 3, n: 7, k: 5, outShape: [3, 7], batch: null });
});

test('equal batch dims merge into one contiguous run', () => {
  const l = matMulLayout([2, 3, 4, 5], [2, 3, 5, 6], false, false);
  assert.deepEqual(l.outShape, [2, 3, 4, 6]);
  assert.deepEqual(triples(l.batch), [6, 20, 30]);
});

test('a rank-2 operand broadcasts with stride 0', () => {
  const l = matMulLayout([4, 2, 5], [5, 6], false, false);
  assert.deepEqual(l.outShape, [4, 2, 6]);
  assert.deepEqual(triples(l.batch), [4, 10, 0]);
  const r = matMulLayout([2, 5], [3, 5, 6], false, false);
  assert.deepEqual(triples(r.batch), [3, 0, 30]);
});

test('size-1 batch dims vanish; numpy broadcasting keeps separate runs', () => {
  assert.equal(matMulLayout([1, 1, 2, 3], [1, 3, 4], false, false).batch, null);
  const l = matMulLayout([2, 1, 4, 5], [3, 5, 6], false, false);
  assert.deepEqual(l.outShape, [2, 3, 4, 6]);
  assert.deepEqual(triples(l.batch), [2, 20, 0, 3, 0, 30]);
});

test('mismatched inner or batch dims throw like tfjs', () => {
  assert.throws(() => matMulLayout([3, 5], [4, 7], false, false), /inner shapes \(5\) and \(4\)/);
  assert.throws(() => matMulLayout([2, 3, 5], [3, 5, 7], false, false), /could not be broadcast/);
  assert.throws(() => matMulLayout([5], [5, 7], false, false), /rank >= 2/);
});

test('empty dims give an empty output shape, not an error', () => {
  const l = matMulLayout([3, 0], [0, 4], false, false);
  assert.deepEqual([l.m, l.n, l.k, ...l.outShape], [3, 4, 0, 3, 4]);
});
