import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ringSegments, spanChunks } from './ring.js';

describe('ring layout', () => {
  it('splits a bucket into N contiguous segments differing by at most one element', () => {
    assert.deepEqual(ringSegments(10, 4), [
      { offset: 0, length: 3 },
      { offset: 3, length: 3 },
      { offset: 6, length: 2 },
      { offset: 8, length: 2 },
    ]);
    assert.deepEqual(
      ringSegments(1, 3).map((s) => s.length),
      [1, 0, 0],
    );
    for (const [length, n] of [
      [0, 2],
      [5_000_000, 3],
      [7, 7],
    ] as const) {
      const spans = ringSegments(length, n);
      assert.equal(
        spans.reduce((sum, s) => sum + s.length, 0),
        length,
      );
      spans.forEach((s, k) => assert.equal(s.offset, k === 0 ? 0 : spans[k - 1]!.offset + spans[k - 1]!.length));
    }
  });

  it('chunks a span, keeping one empty chunk for an empty span', () => {
    assert.deepEqual(spanChunks({ offset: 5, length: 10 }, 4), [
      { offset: 5, length: 4 },
      { offset: 9, length: 4 },
      { offset: 13, length: 2 },
    ]);
    assert.deepEqual(spanChunks({ offset: 3, length: 0 }, 4), [{ offset: 3, length: 0 }]);
  });
});
