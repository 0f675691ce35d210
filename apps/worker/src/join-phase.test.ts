import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from 'zeromq';
import { MessageCodec, withEnvelope, type Message } from '@awn/protocol';
import { createLogger } from '@awn/telemetry';
import { runWorker } from './worker.js';

describe('a worker admitted while the run waits for the others', () => {
  it('notices a coordinator lost during the join phase from its heartbeats, not at the join timeout', async () => {
    // A coordinator that admits the worker (one heartbeat, as the real one sends on admission)
    // and then goes silent, as a killed one would.
    const router = new Router({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    const codec = new MessageCodec();
    const outcome = runWorker({
      coordinator: router.lastEndpoint!,
      logger: createLogger({ name: 'test', level: 'silent' }),
      joinTimeoutMs: 600_000,
    });
    const [peer, ...frames] = await router.receive();
    assert.equal(codec.decode(frames).message.type, 'join');
    const heartbeat = withEnvelope({ runId: 'run', generation: 0, step: 0, sender: -1 }, 'heartbeat', {
      sentAt: Date.now(),
      intervalMs: 100,
    }) as Message;
    await router.send([peer!, ...codec.encode(heartbeat)]);
    // It answers while it waits (the coordinator tells a waiting worker from a dead one by that).
    const [, ...answer] = await router.receive();
    assert.equal(codec.decode(answer).message.type, 'heartbeat');
    router.close();
    const result = await outcome;
    assert.equal(result.exitCode, 1);
    assert.match(result.reason, /lost the coordinator/);
  });
});
