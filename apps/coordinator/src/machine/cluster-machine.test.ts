import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALL_WARMUP_FLOORS, withEnvelope, type Message } from '@awn/protocol';
import { parseRunConfig } from '@awn/core';
import { createLogger } from '@awn/telemetry';
import { ClusterMachine, type Command } from './cluster-machine.js';

const config = parseRunConfig({ data: { dataset: 'doublemoon' }, training: { steps: 10, batchSize: 12 } });
const logger = createLogger({ name: 'test', level: 'silent' });
const HB = 100;

function machine(workers: number, minWorkers = workers): ClusterMachine {
  return new ClusterMachine(
    { config, bind: '', workers, minWorkers, logger, heartbeatMs: HB, stallFloorMs: 1000 },
    'run',
    'hash',
    0,
  );
}

const peer = (i: number) => Buffer.from([i]);
const join = (i: number) => ({
  message: withEnvelope({ runId: '', generation: 0, step: 0, sender: -1 }, 'join', {
    workerId: `w${i}`,
    host: 'h',
    pid: i,
    dataAddress: `tcp://w${i}:1`,
    configHash: 'none',
    backend: 'cpu',
  }),
  tensors: [],
});
const from = (m: Message) => ({ message: m, tensors: [] });
const sent = (commands: Command[]) =>
  commands.flatMap((c) =>
    c.kind === 'send'
      ? [{ to: c.peer[0], type: c.message.type, generation: c.message.generation, message: c.message }]
      : [],
  );

function started(workers: number, minWorkers = workers): ClusterMachine {
  const m = machine(workers, minWorkers);
  for (let i = 0; i < workers; i++) m.receive(peer(i), join(i), 0);
  return m;
}

describe('ClusterMachine (events in, commands out)', () => {
  it('admits workers and welcomes them all, in join order, once the last one joined', () => {
    const m = machine(3);
    assert.deepEqual(sent(m.receive(peer(0), join(0), 0)), []);
    assert.deepEqual(sent(m.receive(peer(1), join(1), 0)), []);
    const welcomes = sent(m.receive(peer(2), join(2), 0));
    assert.deepEqual(
      welcomes.map((s) => [s.to, s.type, (s.message as { rank: number }).rank]),
      [
        [0, 'welcome', 0],
        [1, 'welcome', 1],
        [2, 'welcome', 2],
      ],
    );
    const cluster = (
      welcomes[0]!.message as unknown as {
        config: { cluster: { stallTimeoutMs: number; collectiveDeadlineMs: number } };
      }
    ).config.cluster;
    assert.deepEqual([cluster.stallTimeoutMs, cluster.collectiveDeadlineMs], [1000, 1000]);
    assert.equal(m.phase, 'training');
  });

  it('a silent member is evicted; its ring peers hear it under the old generation, then get the new ring', () => {
    const m = started(3, 2);
    const alive = (t: number) => {
      for (const i of [0, 2])
        m.receive(
          peer(i),
          from(withEnvelope({ runId: 'run', generation: 0, step: 0, sender: i }, 'heartbeat', { sentAt: 0 })),
          t,
        );
    };
    for (let t = 10; t <= 300; t += 10) {
      alive(t);
      m.tick(t);
    }
    assert.equal(m.generation, 0);
    alive(310);
    const out = sent(m.tick(310));
    const evicts = out.filter((s) => s.type === 'evict');
    assert.deepEqual(
      evicts.map((s) => [s.to, s.generation, (s.message as { rank: number }).rank]),
      [
        [1, 0, 1],
        [0, 0, 1],
        [2, 0, 1],
      ],
    );
    const assignments = out.filter((s) => s.type === 'assignment');
    assert.deepEqual(
      assignments.map((s) => [s.to, s.generation, (s.message as unknown as { rank: number }).rank]),
      [
        [0, 1, 0],
        [2, 1, 1],
      ],
    );
    assert.deepEqual((assignments[0]!.message as unknown as { peers: string[] }).peers, ['tcp://w0:1', 'tcp://w2:1']);
    assert.deepEqual(m.lost, ['w1']);
  });

  it('without elasticity a loss ends the run: a fail command and a shutdown to every survivor', () => {
    const m = started(2);
    m.receive(
      peer(0),
      from(withEnvelope({ runId: 'run', generation: 0, step: 0, sender: 0 }, 'heartbeat', { sentAt: 0 })),
      250,
    );
    const out = m.tick(350);
    assert.ok(out.some((c) => c.kind === 'fail' && /rank 1 \(w1\) missed 3 heartbeats/.test(c.error.message)));
    assert.deepEqual(
      sent(out)
        .filter((s) => s.type === 'shutdown')
        .map((s) => s.to),
      [0],
    );
    assert.equal(m.phase, 'ended');
  });

  it('members that answer but complete no step: the stall watchdog ends the run, naming the rule', () => {
    const m = started(1);
    const allowance = 1000 * STALL_WARMUP_FLOORS;
    for (let t = 100; t < allowance; t += 100) {
      m.receive(
        peer(0),
        from(withEnvelope({ runId: 'run', generation: 0, step: 0, sender: 0 }, 'heartbeat', { sentAt: 0 })),
        t,
      );
      assert.ok(
        !m.tick(t).some((c) => c.kind === 'fail'),
        `no stall at ${t} ms (warm-up allowance: ${STALL_WARMUP_FLOORS} floors)`,
      );
    }
    m.receive(
      peer(0),
      from(withEnvelope({ runId: 'run', generation: 0, step: 0, sender: 0 }, 'heartbeat', { sentAt: 0 })),
      allowance + 20,
    );
    const fail = m.tick(allowance + 20).find((c) => c.kind === 'fail');
    assert.match(
      fail && fail.kind === 'fail' ? fail.error.message : '',
      new RegExp(`no step completed for ${(allowance / 1000).toFixed(1)} s although every worker answers heartbeats`),
    );
  });

  it('the final state releases the workers at once; its checkpoint written ends the run, a failed write fails it', () => {
    const finalState = (bytes: Uint8Array) => ({
      message: withEnvelope({ runId: 'run', generation: 0, step: 10, sender: 0 }, 'state', {
        widths: [],
        configHash: 'hash',
        final: true,
      }),
      tensors: [
        {
          descriptor: { name: 'state', dtype: 'uint8' as const, shape: [bytes.length], frames: 1 },
          byteLength: bytes.length,
          frames: [bytes],
        },
      ],
    });
    for (const writeFails of [false, true]) {
      const m = started(2);
      const arrived = m.receive(peer(0), finalState(new Uint8Array([1, 2, 3])), 10);
      // Released before the write: a large state keeps the coordinator busy longer than the
      // workers excuse its silence.
      assert.deepEqual(
        sent(arrived).map((s) => [s.to, s.type, (s.message as { exitCode: number }).exitCode]),
        [
          [0, 'shutdown', 0],
          [1, 'shutdown', 0],
        ],
      );
      const checkpoint = arrived.find((c) => c.kind === 'checkpoint');
      assert.ok(checkpoint && checkpoint.kind === 'checkpoint' && checkpoint.state.final);
      assert.equal(m.nextSilenceAt(), undefined, 'released workers are not watched');
      assert.deepEqual(m.tick(60_000), [], 'nobody is lost while the checkpoint is written');
      const state = checkpoint.state;
      const out = writeFails ? m.checkpointWritten(state, new Error('disk full')) : m.checkpointWritten(state);
      if (writeFails) {
        const failed = out.find((c) => c.kind === 'fail');
        assert.ok(failed && failed.kind === 'fail' && /disk full/.test(failed.error.message));
      } else assert.deepEqual(out.at(-1), { kind: 'finish', state });
      assert.equal(m.ended, true);
    }
  });
});
