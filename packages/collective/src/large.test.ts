import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CollectiveCounters } from './counters.js';
import { ringReferenceSum } from './ring.js';
import { ProcessCluster } from './testing/cluster.js';
import { digest, type RankOp, rankBytes, rankInput } from './testing/data.js';

const MiB = 1024 * 1024;
const CHUNK = MiB;

describe('tens of megabytes through the ring at a bounded memory cost', { timeout: 180_000 }, () => {
  let cluster: ProcessCluster | undefined;
  after(() => cluster?.close());

  it('broadcasts 65 MB and all-reduces 64 MB exactly, buffering at most 8 chunks ahead', async () => {
    cluster = await ProcessCluster.start(3, { runId: 'large', generation: 0, chunkBytes: CHUNK, deadlineMs: 120_000 });
    const sizes = [64 * MiB + 3, MiB - 1];
    const floats = 16 * MiB + 5;
    const ops: RankOp[] = [
      { op: 'broadcast', root: 1, sizes, seed: 3, step: 0 },
      { op: 'allreduce', length: floats, seed: 4, bucketId: 0, widthHash: 9, step: 1 },
    ];
    const reports = await cluster.run([ops, ops, ops]);
    const broadcastDigest = digest(sizes.map((size, i) => rankBytes(3 + i, size)));
    const sumDigest = digest(ringReferenceSum([0, 1, 2].map((r) => rankInput(4, r, floats))));
    const broadcastBytes = sizes.reduce((a, b) => a + b, 0);
    for (const report of reports) {
      const [broadcast, allreduce] = report.outcomes;
      assert.ok(
        broadcast?.ok && allreduce?.ok,
        `rank ${report.rank}: ${broadcast?.error?.message ?? allreduce?.error?.message}`,
      );
      assert.equal(broadcast.digest, broadcastDigest, `rank ${report.rank} broadcast`);
      assert.equal(allreduce.digest, sumDigest, `rank ${report.rank} all-reduce`);
      // Deterministic bound: the inbox never holds more than its 8-chunk limit plus the message
      // that crossed it, however the ranks were scheduled.
      const counters = report.counters as CollectiveCounters;
      assert.ok(counters.inboxPeakBytes <= 9 * CHUNK, `rank ${report.rank} queued ${counters.inboxPeakBytes} bytes`);
      // Loose bounds on the process, whose op allocates its own input or output (one copy of the
      // data; the root's test input takes two while it is generated). Beyond it: received frames
      // waiting for V8 to collect them (it does every 64 MiB of external memory), the inbox and
      // ZeroMQ's queue (8 messages each), and slack.
      const fixed = (64 + 8 + 8 + 32) * MiB;
      if (report.rank !== 1)
        assert.ok(
          broadcast.rssGrowth! < broadcastBytes + fixed,
          `rank ${report.rank}: resident set grew by ${broadcast.rssGrowth} bytes for a ${broadcastBytes}-byte broadcast`,
        );
      assert.ok(
        allreduce.rssGrowth! < 4 * floats + fixed,
        `rank ${report.rank}: resident set grew by ${allreduce.rssGrowth} bytes in a ${4 * floats}-byte all-reduce`,
      );
    }
  });
});
