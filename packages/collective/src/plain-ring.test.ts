import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Push } from 'zeromq';
import { Communicator } from './communicator.js';
import { RingEndpoint } from './endpoint.js';
import { freePort } from './free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rawSend(address: string, options: Record<string, unknown>): Promise<Push> {
  const push = new Push({ linger: 0, sendTimeout: 1500, ...options });
  push.connect(address);
  await push.send(['not', 'a', 'ring', 'message']).catch(() => undefined);
  return push;
}

describe('ZAP PLAIN on the ring (per-run password, authenticated connections)', () => {
  it('ranks holding the run password all-reduce; connections without it deliver nothing', async () => {
    const password = 'per-run password 0123456789abcdef';
    const peers = [`tcp://127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${await freePort()}`];
    const comms = await Promise.all(
      [0, 1].map((rank) =>
        Communicator.create({ rank, worldSize: 2, generation: 0, runId: 'plain', peers, plainPassword: password }),
      ),
    );
    try {
      const results = await Promise.all(
        comms.map((c, r) => c.allReduce(new Float32Array([r + 1, 2]), { step: 0, bucketId: 0, widthHash: 1 })),
      );
      for (const result of results) assert.deepEqual([...result], [3, 4]);
    } finally {
      await Promise.all(comms.map((c) => c.close()));
    }

    const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:0', {
      runId: 'plain',
      plainPassword: password,
      ipcTwin: false,
    });
    try {
      const intruders = [
        await rawSend(endpoint.address, {}),
        await rawSend(endpoint.address, { plainUsername: 'awn', plainPassword: 'a guessed password' }),
      ];
      await sleep(1000);
      for (const push of intruders) push.close();
      assert.equal(endpoint.counters.messagesReceived, 0, 'nothing without the run password reaches the endpoint');
      const member = await rawSend(endpoint.address, { plainUsername: 'awn', plainPassword: password });
      for (let i = 0; i < 200 && endpoint.counters.messagesReceived === 0; i++) await sleep(20);
      member.close();
      assert.equal(endpoint.counters.messagesReceived, 1);
      assert.equal(endpoint.counters.dropped.malformed, 1);
    } finally {
      endpoint.close();
      await endpoint.closedReader();
    }
  });

  it('drops a connection that announces a frame above the frame limit before buffering it', async () => {
    const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:0', { runId: 'big', ipcTwin: false });
    try {
      const push = new Push({ linger: 0, sendTimeout: 1500 });
      push.connect(endpoint.address);
      await push.send([Buffer.alloc(16 * 1024 * 1024 + 1)]).catch(() => undefined);
      // A small message on another connection shows the reader is alive and got past the big one.
      const probe = await rawSend(endpoint.address, {});
      for (let i = 0; i < 200 && endpoint.counters.messagesReceived === 0; i++) await sleep(20);
      await sleep(500);
      push.close();
      probe.close();
      assert.equal(endpoint.counters.dropped.oversize, 0, 'the oversize frame never reached the decoder');
      assert.equal(endpoint.counters.messagesReceived, 1);
    } finally {
      endpoint.close();
      await endpoint.closedReader();
    }
  });
});
