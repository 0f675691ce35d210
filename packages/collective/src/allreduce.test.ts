import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ringReferenceSum } from './ring.js';
import { ProcessCluster, type RankReport } from './testing/cluster.js';
import { digest, type RankOp, rankInput } from './testing/data.js';

const SIZES = [1, 1000, 5_000_000];

/**
 * Σ w_r x_r / Σ w_r in float64, and how far a float32 ring may be from it: every hop rounds a
 * partial sum of magnitude ≤ Σ w|x| once, and the final scale rounds once more.
 */
function meanReference(
  inputs: readonly Float32Array[],
  weights: readonly number[],
): { mean: Float64Array; tolerance: Float64Array } {
  const total = weights.reduce((a, b) => a + b, 0);
  const length = inputs[0]!.length;
  const mean = new Float64Array(length);
  const tolerance = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    let magnitude = 0;
    for (const [r, x] of inputs.entries()) {
      sum += weights[r]! * x[i]!;
      magnitude += Math.abs(weights[r]! * x[i]!);
    }
    mean[i] = sum / total;
    tolerance[i] = ((inputs.length + 1) * 2 ** -24 * magnitude) / total;
  }
  return { mean, tolerance };
}

function assertMean(
  reports: readonly RankReport[],
  index: number,
  inputs: readonly Float32Array[],
  weights: readonly number[],
): void {
  const { mean, tolerance } = meanReference(inputs, weights);
  const first = reports[0]!.outcomes[index]!;
  for (const report of reports) {
    const outcome = report.outcomes[index]!;
    assert.ok(outcome.ok, `rank ${report.rank} op ${index}: ${outcome.error?.message}`);
    assert.equal(outcome.digest, first.digest, `rank ${report.rank} op ${index}: ranks must end with identical bits`);
  }
  const values = first.values!;
  assert.equal(values.length, mean.length);
  for (let i = 0; i < values.length; i++) {
    assert.ok(
      Math.abs(values[i]! - mean[i]!) <= tolerance[i]!,
      `element ${i}: ${values[i]} vs float64 mean ${mean[i]} (tolerance ${tolerance[i]})`,
    );
  }
}

for (const worldSize of [2, 3, 4]) {
  describe(`all-reduce across ${worldSize} processes`, { timeout: 45_000 }, () => {
    let cluster: ProcessCluster | undefined;
    after(() => cluster?.close());

    it('sums buckets of 1, 1000 and 5M floats bit-identically on every rank, and weighted means', async () => {
      // The 3-rank ring signs every message, so the authenticated path runs the same workload; the
      // 4-rank ring runs over tcp loopback, the others over the ranks' ipc:// twins.
      cluster = await ProcessCluster.start(worldSize, {
        runId: 'ar-test',
        generation: 2,
        secret: worldSize === 3 ? 'ring secret' : undefined,
        ipc: worldSize !== 4,
      });
      const weights = Array.from({ length: worldSize }, (_, r) => 16 + 3 * r);
      const ops = (rank: number): RankOp[] => [
        ...SIZES.map((length, i) => ({
          op: 'allreduce' as const,
          length,
          seed: 10 + i,
          bucketId: i,
          widthHash: 0xabcdef,
          step: 7,
        })),
        {
          op: 'allreduce',
          length: 1001,
          seed: 40,
          bucketId: 9,
          widthHash: 0xabcdef,
          step: 8,
          weight: weights[rank]!,
          values: true,
        },
      ];
      const reports = await cluster.run(Array.from({ length: worldSize }, (_, r) => ops(r)));

      const expected = SIZES.map((length, i) =>
        digest(ringReferenceSum(Array.from({ length: worldSize }, (_, r) => rankInput(10 + i, r, length)))),
      );
      for (const report of reports) {
        assert.equal(report.outcomes.length, expected.length + 1);
        for (const [i, want] of expected.entries()) {
          const outcome = report.outcomes[i]!;
          assert.ok(outcome.ok, `rank ${report.rank} op ${i}: ${outcome.error?.message}`);
          assert.equal(outcome.digest, want, `rank ${report.rank} op ${i} differs from the ring-order sum`);
        }
      }
      assertMean(
        reports,
        SIZES.length,
        Array.from({ length: worldSize }, (_, r) => rankInput(40, r, 1001)),
        weights,
      );
    });
  });
}

describe('pipelined chunks of odd sizes', { timeout: 60_000 }, () => {
  let cluster: ProcessCluster | undefined;
  after(() => cluster?.close());

  it('sums and averages buckets that split into many chunks with ragged ends, weights differing (one zero)', async () => {
    // 997 floats a chunk (a prime): segments end mid-chunk, and some buckets are shorter than N.
    cluster = await ProcessCluster.start(3, { runId: 'odd-chunks', generation: 0, chunkBytes: 4 * 997 });
    const lengths = [2, 3, 997, 2992, 20_011];
    const weights = [0, 5, 1e-3];
    const ops = (rank: number): RankOp[] =>
      lengths.flatMap((length, i) => [
        { op: 'allreduce' as const, length, seed: 100 + i, bucketId: i, widthHash: 7, step: i },
        {
          op: 'allreduce' as const,
          length,
          seed: 200 + i,
          bucketId: i,
          widthHash: 7,
          step: i,
          weight: weights[rank]!,
          values: true,
        },
      ]);
    const reports = await cluster.run([ops(0), ops(1), ops(2)]);
    for (const [i, length] of lengths.entries()) {
      const sum = digest(ringReferenceSum([0, 1, 2].map((r) => rankInput(100 + i, r, length))));
      for (const report of reports)
        assert.equal(report.outcomes[2 * i]!.digest, sum, `rank ${report.rank}, ${length} floats`);
      assertMean(
        reports,
        2 * i + 1,
        [0, 1, 2].map((r) => rankInput(200 + i, r, length)),
        weights,
      );
    }
  });
});

describe('ring reference', () => {
  it('is exact for integer-valued data, whatever the order', () => {
    const inputs = [0, 1, 2].map((r) => Float32Array.from({ length: 10 }, (_, i) => i * (r + 1)));
    assert.deepEqual(
      Array.from(ringReferenceSum(inputs)),
      Array.from({ length: 10 }, (_, i) => 6 * i),
    );
  });
});
