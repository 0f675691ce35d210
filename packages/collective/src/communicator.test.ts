import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MessageCodec, PROTOCOL_VERSION } from '@awn/protocol';
import { Push } from 'zeromq';
import { Communicator } from './communicator.js';
import { RingEndpoint } from './endpoint.js';
import { CollectiveError } from './errors.js';
import { freePort } from './free-port.js';

describe('world size 1', () => {
  it('needs no sockets; all-reduce and mean are the identity; broadcast and barrier return', async () => {
    const comm = await Communicator.create({ rank: 0, worldSize: 1, generation: 0, runId: 'solo', peers: [] });
    assert.equal(comm.address, undefined);
    const data = Float32Array.from([1.5, -2, 1e-30]);
    const copy = data.slice();
    assert.equal(await comm.allReduce(data, { step: 0, bucketId: 0, widthHash: 1 }), data);
    assert.deepEqual(data, copy);
    await comm.allReduceMean(data, 7, { step: 0, bucketId: 0, widthHash: 1 });
    assert.deepEqual(data, copy);
    await assert.rejects(comm.allReduceMean(data, 0, { step: 0, bucketId: 0, widthHash: 1 }), { code: 'invalid' });
    const [bytes] = await comm.broadcast(new Float32Array([2]), { root: 0 });
    assert.deepEqual(Array.from(bytes!), [0, 0, 0, 64]);
    await comm.barrier();
    await comm.close();
    await assert.rejects(comm.barrier(), { code: 'closed' });
  });

  it('refuses bad arguments', async () => {
    await assert.rejects(
      Communicator.create({ rank: 2, worldSize: 2, generation: 0, runId: 'r', peers: ['a', 'b'] }),
      RangeError,
    );
    await assert.rejects(
      Communicator.create({ rank: 0, worldSize: 2, generation: 0, runId: 'r', peers: ['a'] }),
      RangeError,
    );
    await assert.rejects(
      Communicator.create({ rank: 0, worldSize: 1, generation: 0, runId: 'r', peers: [], chunkBytes: 6 }),
      RangeError,
    );
    const comm = await Communicator.create({ rank: 0, worldSize: 1, generation: 0, runId: 'r', peers: [] });
    await assert.rejects(comm.allReduce(new Float32Array(1), { step: 0, bucketId: -1, widthHash: 0 }), CollectiveError);
    await assert.rejects(
      comm.allReduce(new Float32Array(1), { step: 0, bucketId: 0, widthHash: 2 ** 32 }),
      CollectiveError,
    );
    await assert.rejects(comm.broadcast(null, { root: 1 }), { code: 'invalid' });
    await comm.close();
  });
});

describe('two ranks in one process', { timeout: 20_000 }, () => {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  async function pair(secret?: string): Promise<[Communicator, Communicator]> {
    const ports = [await freePort(), await freePort()];
    const peers = ports.map((p) => `tcp://127.0.0.1:${p}`);
    const comms = await Promise.all(
      [0, 1].map((rank) =>
        Communicator.create({ rank, worldSize: 2, generation: 1, runId: 'pair', peers, secret, deadlineMs: 5000 }),
      ),
    );
    closers.push(...comms.map((c) => () => c.close()));
    return comms as [Communicator, Communicator];
  }

  async function inject(address: string, frames: Buffer[][]): Promise<void> {
    const push = new Push({ linger: 1000 });
    push.connect(address);
    for (const message of frames) await push.send(message);
    push.close();
  }

  it('drops and counts malformed, foreign and unauthenticated frames, then still works', async () => {
    const [a, b] = await pair('pair secret');
    const header = {
      version: PROTOCOL_VERSION,
      runId: 'pair',
      generation: 1,
      step: 0,
      sender: 1,
      type: 'ring-token' as const,
      opSeq: 0,
      purpose: 'barrier' as const,
      origin: 1,
    };
    await inject(a.address!, [
      [Buffer.from('garbage')],
      new MessageCodec().encode(header),
      new MessageCodec({ secret: 'wrong secret' }).encode(header),
      new MessageCodec({ secret: 'pair secret' }).encode({ ...header, runId: 'other' }),
      new MessageCodec({ secret: 'pair secret' }).encode({ ...header, generation: 0 }),
    ]);
    const x = Float32Array.from([1, 2, 3]);
    const y = Float32Array.from([10, 20, 30]);
    await Promise.all([
      a.allReduce(x, { step: 0, bucketId: 0, widthHash: 9 }),
      b.allReduce(y, { step: 0, bucketId: 0, widthHash: 9 }),
    ]);
    assert.deepEqual(Array.from(x), [11, 22, 33]);
    assert.deepEqual(Array.from(y), [11, 22, 33]);
    const dropped = a.counters.dropped;
    // Another run's message is signed with that run's key (protocol auth.ts): it fails verification.
    assert.equal(dropped['bad-signature'], 4, JSON.stringify(dropped));
    assert.equal(dropped['run-id-mismatch'], 0, JSON.stringify(dropped));
    assert.equal(dropped['stale-generation'], 1, JSON.stringify(dropped));
    assert.ok(a.counters.messagesSent > 0 && a.counters.bytesReceived > 0);
  });

  it('a second concurrent collective is refused; closing fails the pending one', async () => {
    const [a] = await pair();
    const pending = a.barrier({ deadlineMs: 10_000 });
    await assert.rejects(a.barrier(), { code: 'busy' });
    await a.close();
    await assert.rejects(pending, { code: 'closed' });
  });

  it('mismatched bucket sizes are reported by both ranks', async () => {
    const [a, b] = await pair();
    const results = await Promise.allSettled([
      a.allReduce(new Float32Array(10), { step: 4, bucketId: 0, widthHash: 9 }),
      b.allReduce(new Float32Array(12), { step: 4, bucketId: 0, widthHash: 9 }),
    ]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof CollectiveError);
      assert.equal(result.reason.code, 'mismatch');
      assert.deepEqual([...result.reason.ranks].sort(), [0, 1]);
    }
    // Broken for good: the next call fails with the same error.
    await assert.rejects(a.barrier(), { code: 'mismatch' });
  });

  it('a rank closing right after a collective still delivers what its successor waits for', async () => {
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    const peers = ports.map((p) => `tcp://127.0.0.1:${p}`);
    const comms = await Promise.all(
      [0, 1, 2].map((rank) =>
        Communicator.create({ rank, worldSize: 3, generation: 0, runId: 'drain', peers, deadlineMs: 3000 }),
      ),
    );
    closers.push(...comms.map((c) => () => c.close()));
    const data = comms.map(() => new Float32Array(300_000).fill(1));
    await Promise.all(
      comms.map((c, r) => c.allReduce(data[r]!, { step: 0, bucketId: 0, widthHash: 0 }).then(() => c.close())),
    );
    for (const d of data) assert.equal(d[299_999], 3);
  });

  it('an endpoint bound before the rank is known serves successive generations', async () => {
    const endpoints = await Promise.all([0, 1].map(() => RingEndpoint.bind('tcp://127.0.0.1:0', { runId: 'gen' })));
    closers.push(...endpoints.map((e) => () => e.close()));
    const peers = endpoints.map((e) => e.address);
    assert.ok(peers.every((p) => /^tcp:\/\/127\.0\.0\.1:\d+$/.test(p) && !p.endsWith(':0')));
    for (const generation of [3, 4]) {
      const comms = await Promise.all(
        endpoints.map((endpoint, rank) =>
          Communicator.create({ rank, worldSize: 2, generation, runId: 'gen', peers, endpoint }),
        ),
      );
      const data = comms.map((_, r) => Float32Array.from([r + generation]));
      await Promise.all(comms.map((c, r) => c.allReduce(data[r]!, { step: generation, bucketId: 0, widthHash: 0 })));
      assert.deepEqual(
        data.map((d) => d[0]),
        [2 * generation + 1, 2 * generation + 1],
      );
      await Promise.all(comms.map((c) => c.close()));
    }
  });
});
