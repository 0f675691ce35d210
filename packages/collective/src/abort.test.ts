import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Communicator } from './communicator.js';
import { freePort } from './free-port.js';

describe('Communicator.abort', () => {
  it('fails a pending all-reduce at once (its deadline is an hour away) and every later call; blames no rank', async () => {
    const peers = [`tcp://127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${await freePort()}`];
    // Rank 1 never takes part: without the abort, rank 0 would wait out the deadline.
    const comm = await Communicator.create({
      rank: 0,
      worldSize: 2,
      generation: 3,
      runId: 'abort',
      peers,
      deadlineMs: 3_600_000,
    });
    try {
      const pending = comm.allReduce(new Float32Array([1, 2, 3]), { step: 7, bucketId: 0, widthHash: 1 });
      setImmediate(() => comm.abort('the coordinator formed generation 4'));
      await assert.rejects(pending, (error: { code?: string; ranks?: readonly number[]; message: string }) => {
        assert.equal(error.code, 'aborted');
        assert.deepEqual(error.ranks, []);
        assert.match(error.message, /generation 3: the coordinator formed generation 4/);
        return true;
      });
      assert.equal(comm.failure?.code, 'aborted');
      await assert.rejects(comm.barrier(), { code: 'aborted' });
      comm.abort('again'); // idempotent: the first reason stays
      assert.match(comm.failure!.message, /generation 4/);
    } finally {
      await comm.close();
    }
  });

  it('before any collective: the next call fails with the reason', async () => {
    const peers = [`tcp://127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${await freePort()}`];
    const comm = await Communicator.create({
      rank: 1,
      worldSize: 2,
      generation: 0,
      runId: 'abort',
      peers,
      deadlineMs: 3_600_000,
    });
    comm.abort('rank 0 was declared lost');
    await assert.rejects(comm.broadcast(null, { root: 0 }), /rank 0 was declared lost/);
    await comm.close();
  });
});
