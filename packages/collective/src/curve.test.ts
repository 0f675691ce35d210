import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Push, curveKeyPair } from 'zeromq';
import { Communicator } from './communicator.js';
import { RingEndpoint } from './endpoint.js';
import { freePort } from './free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw PUSH with `options` that queues one message; the caller closes it after looking. */
async function rawSend(address: string, options: Record<string, unknown>): Promise<Push> {
  const push = new Push({ linger: 0, sendTimeout: 1500, ...options });
  push.connect(address);
  await push.send(['not', 'a', 'cluster', 'message']).catch(() => undefined);
  return push;
}

describe('CURVE on the ring (libzmq ZAP handler admits only the cluster keypair)', () => {
  it('two CURVE ranks all-reduce; clients without the cluster keys get nothing through', async () => {
    const cluster = curveKeyPair();
    for (let round = 0; round < 2; round++) {
      // Twice, so the shared ZAP handler is released with the last endpoint and started again.
      const peers = [`tcp://127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${await freePort()}`];
      const comms = await Promise.all(
        [0, 1].map((rank) =>
          Communicator.create({
            rank,
            worldSize: 2,
            generation: 0,
            runId: 'curve',
            peers,
            curve: cluster,
            deadlineMs: 10_000,
          }),
        ),
      );
      try {
        const results = await Promise.all(
          comms.map((c, r) =>
            c.allReduce(new Float32Array([r + 1, 10 * (r + 1)]), { step: 0, bucketId: 0, widthHash: 1 }),
          ),
        );
        for (const result of results) assert.deepEqual([...result], [3, 30]);
      } finally {
        await Promise.all(comms.map((c) => c.close()));
      }
    }

    const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:0', { runId: 'curve', curve: cluster });
    try {
      const other = curveKeyPair();
      const intruders = [
        // Knows the server key but holds another keypair: the handshake fails in ZAP (status 400).
        await rawSend(endpoint.address, {
          curveServerKey: cluster.publicKey,
          curvePublicKey: other.publicKey,
          curveSecretKey: other.secretKey,
        }),
        // No CURVE at all: the mechanisms do not match, no handshake.
        await rawSend(endpoint.address, {}),
      ];
      await sleep(1000);
      for (const push of intruders) push.close();
      assert.equal(
        endpoint.counters.messagesReceived,
        0,
        'nothing from a client without the cluster keys reaches the endpoint',
      );
      // The positive control: the cluster keypair gets through (and is dropped as malformed).
      const member = await rawSend(endpoint.address, {
        curveServerKey: cluster.publicKey,
        curvePublicKey: cluster.publicKey,
        curveSecretKey: cluster.secretKey,
      });
      for (let i = 0; i < 100 && endpoint.counters.messagesReceived === 0; i++) await sleep(20);
      member.close();
      assert.equal(endpoint.counters.messagesReceived, 1);
    } finally {
      endpoint.close();
      await endpoint.closedReader();
    }
  });
});
