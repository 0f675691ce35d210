import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { MessageCodec, PROTOCOL_VERSION } from '@awn/protocol';
import { Push } from 'zeromq';
import { RingEndpoint } from './endpoint.js';
import { dialAddress, localTwin } from './local-twin.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ipc:// twins of loopback endpoints', () => {
  it('derive a Unix socket path from loopback tcp addresses only', () => {
    assert.equal(localTwin('tcp://127.0.0.1:7001'), `ipc://${tmpdir()}/awn-ring-127.0.0.1-7001.sock`);
    assert.equal(localTwin('tcp://localhost:80'), `ipc://${tmpdir()}/awn-ring-localhost-80.sock`);
    assert.equal(localTwin('tcp://[::1]:9'), `ipc://${tmpdir()}/awn-ring-___1_-9.sock`);
    for (const remote of [
      'tcp://10.0.0.5:7001',
      'tcp://node-b:7001',
      'tcp://0.0.0.0:7001',
      'ipc:///tmp/x',
      'tcp://127.0.0.1:*',
    ]) {
      assert.equal(localTwin(remote), undefined, remote);
      assert.equal(dialAddress(remote, true), remote);
    }
  });

  it('an endpoint bound on loopback also listens on its twin, which a successor then dials', async () => {
    const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:0', { runId: 'twin' });
    const twin = localTwin(endpoint.address)!;
    try {
      assert.equal(endpoint.localAddress, twin);
      assert.equal(dialAddress(endpoint.address, true), twin);
      assert.equal(dialAddress(endpoint.address, false), endpoint.address);
      const push = new Push({ linger: 1000 });
      push.connect(twin);
      const codec = new MessageCodec({ runId: 'twin' });
      await push.send(
        codec.encode({
          version: PROTOCOL_VERSION,
          runId: 'twin',
          generation: 0,
          step: 0,
          sender: 0,
          type: 'heartbeat',
          sentAt: 1,
        }),
      );
      for (let i = 0; i < 200 && endpoint.counters.messagesReceived === 0; i++) await sleep(20);
      push.close();
      assert.equal(endpoint.counters.messagesReceived, 1, 'a message sent to the twin reaches the endpoint');
    } finally {
      endpoint.close();
      await endpoint.closedReader();
    }
    assert.equal(existsSync(twin.slice('ipc://'.length)), false, 'closing the endpoint removes its socket file');
    assert.equal(dialAddress(endpoint.address, true), endpoint.address, 'without the file a successor dials tcp');
  });

  it('is not bound when the endpoint opts out', async () => {
    const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:0', { runId: 'no-twin', ipcTwin: false });
    try {
      assert.equal(endpoint.localAddress, undefined);
      assert.equal(dialAddress(endpoint.address, true), endpoint.address);
    } finally {
      endpoint.close();
      await endpoint.closedReader();
    }
  });
});
