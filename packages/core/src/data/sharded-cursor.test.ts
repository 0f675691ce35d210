import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardedCursor } from './sharded-cursor.js';

const tooSmall = () => 'too small';

test('the shards of one step tile the global batch, whatever the world size', () => {
  for (const worldSize of [1, 2, 3, 5]) {
    const ranks = Array.from(
      { length: worldSize },
      (_, rank) => new ShardedCursor('T', 23, 'items', { batchSize: 7, seed: 1, worldSize, rank }, tooSmall),
    );
    for (let step = 0; step < 6; step++) {
      const shards = ranks.map((c) => c.take());
      const covered: number[] = [];
      for (const s of shards) for (let k = 0; k < s.shardSize; k++) covered.push(s.offset + s.shardStart + k);
      assert.deepEqual(
        covered,
        Array.from({ length: 7 }, (_, k) => shards[0].offset + k),
        `W=${worldSize} step ${step}`,
      );
      assert.ok(Math.max(...shards.map((s) => s.shardSize)) - Math.min(...shards.map((s) => s.shardSize)) <= 1);
    }
  }
});

test('dropLast skips the short last batch; without it the last step is short', () => {
  const drop = new ShardedCursor('T', 10, 'items', { batchSize: 4, seed: 1 }, tooSmall);
  assert.deepEqual(
    [drop.take(), drop.take(), drop.take()].map((s) => [s.epoch, s.offset, s.globalSize]),
    [
      [0, 0, 4],
      [0, 4, 4],
      [1, 0, 4],
    ],
  );
  const keep = new ShardedCursor('T', 10, 'items', { batchSize: 4, seed: 1, dropLast: false }, tooSmall);
  assert.deepEqual(
    [keep.take(), keep.take(), keep.take(), keep.take()].map((s) => [s.epoch, s.offset, s.globalSize]),
    [
      [0, 0, 4],
      [0, 4, 4],
      [0, 8, 2],
      [1, 0, 4],
    ],
  );
});

test('a cursor taken with one world size resumes at the same item with another', () => {
  const a = new ShardedCursor('T', 40, 'items', { batchSize: 8, seed: 3, worldSize: 2, rank: 1 }, tooSmall);
  a.take();
  a.take();
  const b = new ShardedCursor('T', 40, 'items', { batchSize: 8, seed: 3, worldSize: 4, rank: 0 }, tooSmall);
  b.restore(a.cursor());
  assert.equal(b.take().offset, 16);
  assert.throws(() => b.restore({ epoch: 0, offset: 40 }), /T\.restore: cursor offset 40 is outside the 40 items/);
  assert.throws(
    () => new ShardedCursor('T', 3, 'items', { batchSize: 4, seed: 1 }, tooSmall),
    /^RangeError: T: too small$/,
  );
});
