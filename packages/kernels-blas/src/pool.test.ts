// The cpu output pool's size classes (src/pool.ts): nearby lengths share buffers, every view has
// exactly the length asked for, and nothing escaped or outside the cap is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool, sizeClass } from './pool.js';

test('sizeClass is exact up to 4096 and at most 6.25 % above the length beyond', () => {
  for (const n of [1, 7, 4096]) assert.equal(sizeClass(n), n);
  let previous = 0;
  for (let n = 4097; n < 50_000_000; n = Math.ceil(n * 1.013)) {
    const c = sizeClass(n);
    assert.ok(c >= n && c <= n * 1.0625, `class ${c} of ${n}`);
    assert.ok(c >= previous, 'monotone');
    previous = c;
  }
});

test('buffers of nearby lengths are reused as exact-length views of one buffer', () => {
  const pool = new BufferPool(1 << 30);
  const a = pool.take(4096 * 509);
  assert.equal(a.length, 4096 * 509);
  a.fill(1);
  pool.release(a);
  const b = pool.take(4096 * 510); // same class: the same memory, a view of the new length
  assert.equal(b.length, 4096 * 510);
  assert.equal(b.buffer, a.buffer);
  assert.deepEqual([pool.hits, pool.misses], [1, 1]);
  assert.equal(pool.bytes, 0);
  pool.release(b);
  assert.equal(pool.bytes, a.buffer.byteLength);
  const far = pool.take(4096 * 600); // another class: fresh
  assert.notEqual(far.buffer, a.buffer);
  assert.deepEqual([pool.hits, pool.misses], [1, 2]);
});

test('an escaped buffer, a buffer over the cap and a foreign array are never kept', () => {
  const pool = new BufferPool(4 * 10_000);
  const a = pool.take(5000);
  pool.escape(a);
  pool.release(a);
  assert.equal(pool.bytes, 0);
  const big = pool.take(20_000);
  pool.release(big);
  assert.equal(pool.bytes, 0, 'over the cap');
  pool.release(new Float32Array(5000));
  assert.equal(pool.bytes, 0, 'not from take');
  const c = pool.take(5000);
  pool.release(c);
  pool.release(c); // a second release of the same array is ignored
  assert.equal(pool.bytes, c.buffer.byteLength);
});

test('a request whose class has nothing free borrows the smallest free buffer up to twice its size', () => {
  const pool = new BufferPool(1 << 30);
  const big = pool.take(4096 * 1000);
  const mid = pool.take(4096 * 700);
  pool.release(big);
  pool.release(mid);
  const a = pool.take(4096 * 600); // 700 and 1000 are free: the smaller one that fits
  assert.equal(a.length, 4096 * 600);
  assert.ok(a.buffer === mid.buffer);
  const b = pool.take(4096 * 500); // only 1000 is free: twice, still lent
  assert.ok(b.buffer === big.buffer);
  pool.release(a);
  const c = pool.take(4096 * 300); // 700 > 2 × 300: fresh
  assert.ok(c.buffer !== mid.buffer);
  assert.deepEqual([pool.hits, pool.misses], [2, 3]);
  pool.release(b); // a borrowed buffer goes back to its own class
  assert.ok(pool.take(4096 * 1000).buffer === big.buffer);
  assert.equal(pool.take(2000).length, 2000, 'small classes stay exact');
});
