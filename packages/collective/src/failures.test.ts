import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ProcessCluster } from './testing/cluster.js';
import type { RankOp } from './testing/data.js';

describe('collective failures across processes', { timeout: 90_000 }, () => {
  const clusters: ProcessCluster[] = [];
  after(() => clusters.forEach((c) => c.close()));

  it('a differing width hash on one rank fails every rank with an error naming the ranks', async () => {
    const cluster = await ProcessCluster.start(3, { runId: 'mismatch-test', generation: 0, deadlineMs: 20_000 });
    clusters.push(cluster);
    const op = (widthHash: number): RankOp[] => [
      { op: 'barrier', step: 3 },
      { op: 'allreduce', length: 1000, seed: 1, bucketId: 0, widthHash, step: 3 },
    ];
    const reports = await cluster.run([op(111), op(222), op(111)]);
    for (const report of reports) {
      assert.equal(report.outcomes[0]?.ok, true);
      const failure = report.outcomes[1]?.error;
      assert.ok(failure, `rank ${report.rank} should have failed`);
      assert.equal(failure.name, 'CollectiveError');
      assert.equal(failure.code, 'mismatch');
      assert.ok(failure.ranks.includes(1), `rank ${report.rank}: ${failure.message}`);
      assert.match(failure.message, /widthHash/);
    }
    // The rank downstream of the odd one out detects it itself and names both.
    assert.deepEqual(reports[2]!.outcomes[1]!.error!.ranks, [1, 2]);
    assert.match(reports[2]!.outcomes[1]!.error!.message, /rank 2 has 111, rank 1 sent 222/);
  });

  it('over the binary chunk headers, a differing bucket, step or kind of reduction is still a mismatch naming both ranks', async () => {
    const cases: { ops: [RankOp, RankOp]; pattern: RegExp }[] = [
      {
        ops: [
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 2 },
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 1, widthHash: 5, step: 2 },
        ],
        pattern: /disagree on bucketId/,
      },
      {
        ops: [
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 2 },
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 3 },
        ],
        pattern: /disagree on step/,
      },
      {
        ops: [
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 2, weight: 3 },
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 2 },
        ],
        pattern: /weighted mean|sent weights null/,
      },
      {
        ops: [
          { op: 'allreduce', length: 50_000, seed: 1, bucketId: 0, widthHash: 5, step: 2 },
          { op: 'allreduce', length: 50_001, seed: 1, bucketId: 0, widthHash: 5, step: 2 },
        ],
        pattern: /disagree on (total|offset|length)/,
      },
    ];
    for (const { ops, pattern } of cases) {
      const cluster = await ProcessCluster.start(2, {
        runId: 'mismatch-binary',
        generation: 1,
        deadlineMs: 20_000,
        chunkBytes: 4 * 4096,
      });
      clusters.push(cluster);
      const reports = await cluster.run([[ops[0]], [ops[1]]]);
      for (const report of reports) {
        const failure = report.outcomes[0]?.error;
        assert.ok(failure, `rank ${report.rank} should have failed (${pattern})`);
        assert.equal(failure.code, 'mismatch', failure.message);
        assert.deepEqual([...failure.ranks].sort(), [0, 1], failure.message);
      }
      assert.ok(
        reports.some((r) => pattern.test(r.outcomes[0]!.error!.message)),
        `${pattern}: ${reports.map((r) => r.outcomes[0]!.error!.message).join(' | ')}`,
      );
    }
  });

  it('a SIGKILLed rank makes the others fail with a timeout naming it', async () => {
    const cluster = await ProcessCluster.start(3, { runId: 'kill-test', generation: 0 });
    clusters.push(cluster);
    const work: RankOp[] = [
      { op: 'allreduce', length: 100_000, seed: 2, bucketId: 0, widthHash: 1, step: 1, deadlineMs: 1500 },
    ];
    const reports = await cluster.run([work, work, [{ op: 'hang' }]], () => cluster.kill(2));
    for (const report of reports.slice(0, 2)) {
      const failure = report.outcomes[0]?.error;
      assert.ok(failure, `rank ${report.rank} should have failed`);
      assert.equal(failure.name, 'CollectiveTimeoutError', failure.message);
      assert.equal(failure.peer, 2, `rank ${report.rank}: ${failure.message}`);
      assert.deepEqual(failure.ranks, [2]);
    }
  });

  it('a rank that never enters the collective is named, not its waiting neighbour', async () => {
    const cluster = await ProcessCluster.start(4, { runId: 'absent-test', generation: 0 });
    clusters.push(cluster);
    const work: RankOp[] = [{ op: 'barrier', step: 0, deadlineMs: 1200 }];
    // Rank 1 stays alive but never calls barrier: ranks 3 and 0 wait on live neighbours.
    const reports = await cluster.run([work, [{ op: 'hang' }], work, work], () =>
      setTimeout(() => cluster.kill(1), 4000),
    );
    for (const report of [reports[0]!, reports[2]!, reports[3]!]) {
      const failure = report.outcomes[0]?.error;
      assert.ok(failure, `rank ${report.rank} should have failed`);
      assert.equal(failure.peer, 1, `rank ${report.rank}: ${failure.message}`);
    }
  });
});
