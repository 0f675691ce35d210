import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withEnvelope, type Message } from '@awn/protocol';
import { parseRunConfig } from '@awn/core';
import { createLogger } from '@awn/telemetry';
import { ClusterMachine, type Command } from './cluster-machine.js';

const config = parseRunConfig({ data: { dataset: 'doublemoon' }, training: { steps: 10, batchSize: 12 } });
const HB = 100;
const peer = (i: number) => Buffer.from([i]);
const message = (i: number, type: 'join' | 'heartbeat', step = 0): Message =>
  (type === 'join'
    ? withEnvelope({ runId: '', generation: 0, step: 0, sender: -1 }, 'join', {
        workerId: `w${i}`,
        host: 'h',
        pid: i,
        dataAddress: `tcp://w${i}:1`,
        configHash: 'none',
        backend: 'cpu',
      })
    : withEnvelope({ runId: 'run', generation: 0, step, sender: i }, 'heartbeat', { sentAt: 0 })) as Message;
const sent = (commands: Command[]) => commands.flatMap((c) => (c.kind === 'send' ? [c] : []));

describe('losing workers below the minimum', () => {
  it('the survivors form one last ring to save their state, which is written before the run fails', () => {
    const m = new ClusterMachine(
      {
        config,
        bind: '',
        workers: 3,
        minWorkers: 2,
        rejoinTimeoutMs: 1000,
        logger: createLogger({ name: 'test', level: 'silent' }),
        heartbeatMs: HB,
        stallFloorMs: 1000,
      },
      'run',
      'hash',
      0,
    );
    for (let i = 0; i < 3; i++) m.receive(peer(i), { message: message(i, 'join'), tensors: [] }, 0);
    // Only worker 0 keeps answering: 1 and 2 are lost, the run waits for rejoins.
    const out: Command[] = [];
    for (let t = 10; t <= 1300; t += 10) {
      out.push(...m.receive(peer(0), { message: message(0, 'heartbeat'), tensors: [] }, t));
      out.push(...m.tick(t));
    }
    assert.equal(m.phase, 'degraded');
    assert.ok(!out.some((c) => c.kind === 'fail'), 'still within the rejoin timeout');
    m.receive(peer(0), { message: message(0, 'heartbeat'), tensors: [] }, 1400);
    const salvage = m.tick(1400);
    assert.ok(!salvage.some((c) => c.kind === 'fail'), 'not failed before the state is saved');
    assert.deepEqual(
      sent(salvage)
        .filter((s) => s.message.type !== 'heartbeat')
        .map((s) => [s.peer[0], s.message.type]),
      [
        [0, 'assignment'],
        [0, 'stop'],
      ],
    );
    const state = { step: 7, bytes: new Uint8Array([1]), final: true };
    const end = m.checkpointWritten(state);
    const fail = end.find((c) => c.kind === 'fail');
    assert.match(fail?.kind === 'fail' ? fail.error.message : '', /only 1 workers left \(minimum 2\)/);
    assert.deepEqual(
      sent(end).map((s) => [s.message.type, (s.message as { exitCode: number }).exitCode]),
      [['shutdown', 1]],
    );
    assert.equal(m.salvaged, state);
    assert.equal(m.phase, 'ended');
  });
});
