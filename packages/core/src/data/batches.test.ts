import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardedBatches, shardBounds } from './batches.js';
import type { ClassificationDataset, RegressionDataset } from './dataset.js';

/** n rows; feature 0 is the row id, y is row id mod 3. */
function ids(n: number): ClassificationDataset {
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
  }
  return {
    name: 'ids',
    task: 'classification',
    inputDim: 2,
    numClasses: 3,
    outputDim: 3,
    n,
    x,
    y: Int32Array.from({ length: n }, (_, i) => i % 3),
  };
}
const rowIds = (x: Float32Array) => Array.from(x.filter((_, j) => j % 2 === 0));

test('shard sizes differ by at most one, first ranks take the extra, shards tile the batch', () => {
  for (let g = 0; g <= 13; g++) {
    for (let w = 1; w <= 5; w++) {
      let next = 0;
      for (let r = 0; r < w; r++) {
        const { start, size } = shardBounds(g, w, r);
        assert.equal(start, next);
        assert.equal(size, Math.floor(g / w) + (r < g % w ? 1 : 0));
        next += size;
      }
      assert.equal(next, g);
    }
  }
});

test('an epoch is a permutation; dropLast drops only the incomplete tail', () => {
  const ds = ids(23);
  const b = new ShardedBatches(ds, { batchSize: 5, seed: 1 });
  assert.equal(b.stepsPerEpoch, 4);
  const seen: number[] = [];
  for (let s = 0; s < 4; s++) {
    const batch = b.next();
    assert.equal(batch.size, 5);
    assert.equal(batch.epoch, 0);
    assert.equal(batch.stepInEpoch, s);
    for (const id of rowIds(batch.x)) seen.push(id);
    assert.deepEqual(
      Array.from(batch.y),
      rowIds(batch.x).map((i) => i % 3),
    );
    assert.deepEqual(rowIds(batch.x.map((v, j) => (j % 2 ? -v : v))), rowIds(batch.x), 'rows kept whole');
  }
  assert.equal(new Set(seen).size, 20);
  assert.deepEqual(b.cursor(), { epoch: 1, offset: 0 });
  assert.equal(b.next().epoch, 1);

  const keep = new ShardedBatches(ds, { batchSize: 5, seed: 1, dropLast: false });
  assert.equal(keep.stepsPerEpoch, 5);
  const all: number[] = [];
  for (let s = 0; s < 5; s++) {
    const batch = keep.next();
    assert.equal(batch.globalSize, s < 4 ? 5 : 3);
    all.push(...rowIds(batch.x));
  }
  assert.deepEqual(
    all.sort((p, q) => p - q),
    Array.from({ length: 23 }, (_, i) => i),
  );
});

test('epochs are reshuffled; the same seed gives the same order; shuffle:false keeps row order', () => {
  const ds = ids(40);
  const a = new ShardedBatches(ds, { batchSize: 40, seed: 9 });
  const e0 = rowIds(a.next().x);
  const e1 = rowIds(a.next().x);
  assert.notDeepEqual(e0, e1);
  const again = new ShardedBatches(ds, { batchSize: 40, seed: 9 });
  assert.deepEqual(rowIds(again.next().x), e0);
  assert.notDeepEqual(rowIds(new ShardedBatches(ds, { batchSize: 40, seed: 10 }).next().x), e0);
  const ordered = new ShardedBatches(ds, { batchSize: 7, seed: 9, shuffle: false, dropLast: false });
  assert.deepEqual(rowIds(ordered.next().x), [0, 1, 2, 3, 4, 5, 6]);
});

test("the union of all ranks' shards equals the single-rank batch, in order (W = 1..4)", () => {
  const ds = ids(50);
  for (const dropLast of [true, false]) {
    const single = new ShardedBatches(ds, { batchSize: 7, seed: 3, dropLast });
    const steps = single.stepsPerEpoch * 2 + 1; // crosses two epoch boundaries
    const reference = Array.from({ length: steps }, () => single.next());
    for (let w = 1; w <= 4; w++) {
      const ranks = Array.from(
        { length: w },
        (_, r) => new ShardedBatches(ds, { batchSize: 7, seed: 3, worldSize: w, rank: r, dropLast }),
      );
      for (let s = 0; s < steps; s++) {
        const shards = ranks.map((b) => b.next());
        const joinedX = shards.flatMap((sh) => Array.from(sh.x));
        const joinedY = shards.flatMap((sh) => Array.from(sh.y));
        assert.deepEqual(joinedX, Array.from(reference[s].x), `W=${w} step ${s} dropLast=${dropLast}`);
        assert.deepEqual(joinedY, Array.from(reference[s].y));
        for (const sh of shards) {
          assert.equal(sh.globalSize, reference[s].size);
          assert.equal(sh.epoch, reference[s].epoch);
          assert.equal(sh.stepInEpoch, reference[s].stepInEpoch);
        }
        const sizes = shards.map((sh) => sh.size);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
        assert.deepEqual(
          sizes,
          [...sizes].sort((p, q) => q - p),
          'first ranks take the extra',
        );
      }
    }
  }
});

test('restore(cursor) resumes mid-epoch exactly, even with another world size', () => {
  const ds = ids(30);
  const a = new ShardedBatches(ds, { batchSize: 4, seed: 2 });
  for (let s = 0; s < 10; s++) a.next(); // 7 steps per epoch: now mid epoch 1
  const cursor = JSON.parse(JSON.stringify(a.cursor()));
  assert.deepEqual(cursor, { epoch: 1, offset: 12 });
  const expected = Array.from({ length: 9 }, () => a.next());

  const b = new ShardedBatches(ds, { batchSize: 4, seed: 2 });
  b.restore(cursor);
  for (const e of expected) {
    const got = b.next();
    assert.deepEqual(got, e);
  }
  const halves = [0, 1].map((r) => new ShardedBatches(ds, { batchSize: 4, seed: 2, worldSize: 2, rank: r }));
  for (const h of halves) h.restore(cursor);
  const first = halves.map((h) => h.next());
  assert.deepEqual([...first[0].x, ...first[1].x], Array.from(expected[0].x));
});

test('regression targets travel with their rows', () => {
  const n = 12;
  const ds: RegressionDataset = {
    name: 'r',
    task: 'regression',
    inputDim: 1,
    outputDim: 2,
    n,
    x: Float32Array.from({ length: n }, (_, i) => i),
    y: Float32Array.from({ length: 2 * n }, (_, i) => i * 10),
  };
  const b = new ShardedBatches(ds, { batchSize: 5, seed: 4, worldSize: 2, rank: 1 });
  const batch = b.next();
  assert.equal(batch.size, 2);
  assert.equal(batch.shardStart, 3);
  assert.ok(batch.y instanceof Float32Array);
  for (let k = 0; k < batch.size; k++)
    assert.deepEqual(Array.from(batch.y.subarray(2 * k, 2 * k + 2)), [batch.x[k] * 20, batch.x[k] * 20 + 10]);
});

test('impossible settings and foreign cursors are refused', () => {
  const ds = ids(10);
  assert.throws(() => new ShardedBatches(ds, { batchSize: 11, seed: 1 }), /not enough for one batch/);
  assert.doesNotThrow(() => new ShardedBatches(ds, { batchSize: 11, seed: 1, dropLast: false }));
  assert.throws(
    () => new ShardedBatches(ds, { batchSize: 2, seed: 1, worldSize: 3, rank: 0 }),
    /smaller than worldSize/,
  );
  assert.throws(() => new ShardedBatches(ds, { batchSize: 4, seed: 1, worldSize: 2, rank: 2 }), /rank 2/);
  assert.throws(() => new ShardedBatches(ds, { batchSize: 0, seed: 1 }), /batchSize/);
  const b = new ShardedBatches(ds, { batchSize: 3, seed: 1 });
  assert.throws(() => b.restore({ epoch: 0, offset: 10 }), /offset 10 is outside the 10 examples/);
  assert.throws(() => b.restore({ epoch: 0, offset: 2.5 }), /offset 2.5/);
  // An offset off the batch grid (a cursor written with another global batch size) resumes at
  // that example; one that leaves no full batch rolls over to the next epoch.
  b.restore({ epoch: 0, offset: 4 });
  const mid = b.next();
  const rows = Array.from(b.permutation(0).subarray(4, 7));
  assert.deepEqual(
    Array.from(mid.x),
    rows.flatMap((r) => Array.from(ds.x.subarray(r * 2, r * 2 + 2))),
  );
  assert.deepEqual(b.cursor(), { epoch: 0, offset: 7 });
  b.next();
  assert.deepEqual(b.cursor(), { epoch: 1, offset: 0 });
  b.restore({ epoch: 0, offset: 9 });
  assert.equal(b.next().epoch, 1);
  assert.throws(() => b.restore({ epoch: -1, offset: 0 }), /epoch/);
  b.restore({ epoch: 5, offset: 6 });
  assert.deepEqual({ e: b.next().epoch, c: b.cursor() }, { e: 5, c: { epoch: 6, offset: 0 } });
});
