import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ringReferenceSum } from './ring.js';
import { ProcessCluster } from './testing/cluster.js';
import { digest, type RankOp, rankInput } from './testing/data.js';

const SIZES = [1, 1000, 5_000_000];

function meanReference(inputs: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const scaled = inputs.map((x, r) => x.map((v) => v * weights[r]!));
  const total = weights.reduce((a, b) => a + b, 0);
  return ringReferenceSum(scaled).map((v) => v / total);
}

for (const worldSize of [2, 3, 4]) {
  describe(`all-reduce across ${worldSize} processes`, { timeout: 45_000 }, () => {
    let cluster: ProcessCluster | undefined;
    after(() => cluster?.close());

    it('sums buckets of 1, 1000 and 5M floats bit-identically on every rank, and weighted means', async () => {
      // The 3-rank ring signs every message, so the authenticated path runs the same workload.
      cluster = await ProcessCluster.start(worldSize, { runId: 'ar-test', generation: 2, secret: worldSize === 3 ? 'ring secret' : undefined });
      const weights = Array.from({ length: worldSize }, (_, r) => 16 + 3 * r);
      const ops = (rank: number): RankOp[] => [
        ...SIZES.map((length, i) => ({ op: 'allreduce' as const, length, seed: 10 + i, bucketId: i, widthHash: 0xabcdef, step: 7 })),
        { op: 'allreduce', length: 1001, seed: 40, bucketId: 9, widthHash: 0xabcdef, step: 8, weight: weights[rank]! },
      ];
      const reports = await cluster.run(Array.from({ length: worldSize }, (_, r) => ops(r)));

      const expected = SIZES.map((length, i) => digest(ringReferenceSum(Array.from({ length: worldSize }, (_, r) => rankInput(10 + i, r, length)))));
      expected.push(digest(meanReference(Array.from({ length: worldSize }, (_, r) => rankInput(40, r, 1001)), weights)));
      for (const report of reports) {
        assert.equal(report.outcomes.length, expected.length);
        for (const [i, outcome] of report.outcomes.entries()) {
          assert.ok(outcome.ok, `rank ${report.rank} op ${i}: ${outcome.error?.message}`);
          assert.equal(outcome.digest, expected[i], `rank ${report.rank} op ${i} differs from the ring-order sum`);
        }
      }
    });
  });
}

describe('ring reference', () => {
  it('is exact for integer-valued data, whatever the order', () => {
    const inputs = [0, 1, 2].map((r) => Float32Array.from({ length: 10 }, (_, i) => i * (r + 1)));
    assert.deepEqual(Array.from(ringReferenceSum(inputs)), Array.from({ length: 10 }, (_, i) => 6 * i));
  });
});
