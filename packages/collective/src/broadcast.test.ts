import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ProcessCluster } from './testing/cluster.js';
import { digest, type RankOp, rankBytes } from './testing/data.js';

describe('broadcast and barrier across processes', { timeout: 40_000 }, () => {
  let cluster: ProcessCluster | undefined;
  after(() => cluster?.close());

  it('every rank receives the root buffers exactly; barriers interleave with broadcasts', async () => {
    // A small chunk size makes the 3 MB buffer travel as many pipelined chunks.
    cluster = await ProcessCluster.start(4, { runId: 'bcast-test', generation: 5, chunkBytes: 256 * 1024 });
    const sizes = [0, 17, 3_000_000, 4];
    const ops: RankOp[] = [
      { op: 'barrier', step: 1 },
      { op: 'broadcast', root: 2, sizes, seed: 5, step: 1 },
      { op: 'broadcast', root: 0, sizes: [], seed: 6, step: 1 },
      { op: 'barrier', step: 2 },
      { op: 'broadcast', root: 3, sizes: [1000], seed: 7, step: 2 },
    ];
    const reports = await cluster.run([ops, ops, ops, ops]);
    const expected = [
      undefined,
      digest(sizes.map((size, i) => rankBytes(5 + i, size))),
      digest([]),
      undefined,
      digest([rankBytes(7, 1000)]),
    ];
    for (const report of reports) {
      for (const [i, outcome] of report.outcomes.entries()) {
        assert.ok(outcome.ok, `rank ${report.rank} op ${i}: ${outcome.error?.message}`);
        assert.equal(outcome.digest, expected[i], `rank ${report.rank} op ${i}`);
      }
      assert.deepEqual(report.outcomes[1]!.head, sizes);
      assert.equal(report.outcomes.length, ops.length);
    }
  });
});
