import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  withEnvelope,
  type DecodedMessage,
  type EnvelopeContext,
  type Message,
  type MessageBody,
  type MessageType,
} from '@awn/protocol';
import { ControlSession, CoordinatorGone, LIVENESS_MISSES, type Ring } from './control-session.js';
import type { ControlTransport } from './control-link.js';

/** Records what the session asks of its connection. */
class FakeTransport implements ControlTransport {
  readonly sent: Message[] = [];
  pinned: string | undefined;
  context: EnvelopeContext | undefined;
  heartbeat: { intervalMs: number; misses: number } | undefined;
  closedWith: boolean | undefined;
  send(message: Message): void {
    this.sent.push(message);
  }
  pinRun(runId: string): void {
    this.pinned = runId;
  }
  setContext(context: EnvelopeContext): void {
    this.context = { ...context };
  }
  quietForMs = 0;
  expectQuiet(forMs: number): void {
    this.quietForMs = forMs;
  }
  startHeartbeat(intervalMs: number, misses: number): void {
    this.heartbeat = { intervalMs, misses };
  }
  async close(discard: boolean): Promise<void> {
    this.closedWith = discard;
  }
}

const PEERS = ['tcp://a:1', 'tcp://b:2', 'tcp://c:3'];
const ring: Ring = { runId: 'run', generation: 2, rank: 1, worldSize: 3, peers: PEERS, broadcastRoot: 0 };

function from<T extends MessageType>(type: T, body: Omit<MessageBody<T>, 'type'>, generation = 2): DecodedMessage {
  return {
    message: withEnvelope({ runId: 'run', generation, step: 9, sender: -1 }, type, body) as Message,
    tensors: [],
  };
}

function assignment(generation: number, peers: string[]): DecodedMessage {
  return from(
    'assignment',
    {
      workerId: 'me',
      rank: 0,
      worldSize: peers.length,
      peers,
      resumeStep: 9,
      broadcastRoot: 0,
    },
    generation,
  );
}

function inRing(): { session: ControlSession; transport: FakeTransport; aborts: string[] } {
  const transport = new FakeTransport();
  const session = new ControlSession(transport, 'me');
  const aborts: string[] = [];
  session.enterRing(ring, (reason) => aborts.push(reason));
  return { session, transport, aborts };
}

describe('ControlSession', () => {
  it('the welcome pins the run, sets the envelope and starts the heartbeat at the announced interval', () => {
    const transport = new FakeTransport();
    const session = new ControlSession(transport, 'me');
    session.send('join', {
      workerId: 'me',
      host: 'h',
      pid: 1,
      dataAddress: PEERS[1]!,
      configHash: 'none',
      backend: 'cpu',
    });
    assert.equal(transport.sent[0]!.sender, -1);
    const welcome = {
      ...from(
        'welcome',
        {
          workerId: 'me',
          rank: 1,
          worldSize: 3,
          peers: PEERS,
          resumeStep: 0,
          broadcastRoot: 0,
          config: {},
          configHash: 'h',
          heartbeatIntervalMs: 250,
        },
        0,
      ).message,
    };
    session.welcomed(welcome as never);
    assert.equal(transport.pinned, 'run');
    assert.deepEqual(transport.heartbeat, { intervalMs: 250, misses: LIVENESS_MISSES });
    assert.deepEqual(transport.context, { runId: 'run', generation: 0, step: 0, sender: 1 });
    session.step = 4;
    session.send('heartbeat', { sentAt: 0 });
    assert.deepEqual([transport.sent[1]!.runId, transport.sent[1]!.step, transport.sent[1]!.sender], ['run', 4, 1]);
  });

  it('a peer declared lost in the current generation aborts the ring once; one of an older generation does not', () => {
    const { session, aborts } = inRing();
    session.receive(from('evict', { rank: 0, workerId: 'other', reason: 'missed 3 heartbeats' }, 1));
    assert.deepEqual(aborts, []);
    session.receive(from('evict', { rank: 2, workerId: 'other', reason: 'missed 3 heartbeats' }));
    session.receive(from('evict', { rank: 0, workerId: 'third', reason: 'missed 3 heartbeats' }));
    assert.deepEqual(aborts, ['rank 2 (other) was declared lost: missed 3 heartbeats']);
    assert.match(session.ringAbandoned!, /rank 2/);
    assert.equal(session.shutdown, undefined, 'a peer lost is no reason to stop');
  });

  it('evicted itself: shutdown with exit code 1 and the ring aborted', () => {
    const { session, aborts } = inRing();
    session.receive(from('evict', { rank: 1, workerId: 'me', reason: 'stalled' }));
    assert.deepEqual(session.shutdown, { reason: 'evicted by the coordinator: stalled', exitCode: 1 });
    assert.equal(aborts.length, 1);
  });

  it('a new ring without one of ours aborts at once; a ring that only grows is left to stop at an agreed step', () => {
    const grown = inRing();
    grown.session.receive(assignment(3, [...PEERS, 'tcp://d:4']));
    assert.equal(grown.session.pending?.generation, 3);
    assert.deepEqual(grown.aborts, []);
    const shrunk = inRing();
    shrunk.session.receive(assignment(3, [PEERS[0]!, PEERS[1]!]));
    assert.deepEqual(shrunk.aborts, ['generation 3 re-formed the ring without tcp://c:3']);
    const stale = inRing();
    stale.session.receive(assignment(2, [PEERS[0]!]));
    assert.equal(stale.session.pending, undefined);
    assert.deepEqual(stale.aborts, []);
  });

  it('news that came before the ring existed still aborts it on entry; leaving the ring stops aborts', () => {
    const transport = new FakeTransport();
    const session = new ControlSession(transport, 'me');
    session.receive(assignment(3, [PEERS[0]!]));
    const aborts: string[] = [];
    session.enterRing(ring, (reason) => aborts.push(reason));
    assert.equal(aborts.length, 1);
    const next = inRing();
    next.session.leaveRing();
    next.session.receive(from('evict', { rank: 0, workerId: 'x', reason: 'gone' }));
    assert.deepEqual(next.aborts, []);
  });

  it('a failed shutdown aborts the ring; a clean one (exit 0) lets the last step finish', () => {
    const clean = inRing();
    clean.session.receive(from('shutdown', { reason: 'run complete', exitCode: 0 }));
    assert.deepEqual(clean.aborts, []);
    const failed = inRing();
    failed.session.receive(from('shutdown', { reason: 'rank 2 reported timeout', exitCode: 1 }));
    assert.deepEqual(failed.aborts, ['the coordinator ended the run: rank 2 reported timeout']);
  });

  it('waits resolve on the message they wait for and fail at once when the coordinator goes silent', async () => {
    const { session, transport, aborts } = inRing();
    const stop = session.waitUntil(() => session.stopRequested, 3_600_000, 'never');
    const shutdown = session.waitFor((m) => m.type === 'shutdown', 3_600_000, 'never');
    session.receive(from('stop', { reason: 'stop requested' }));
    await stop;
    session.coordinatorSilent();
    await assert.rejects(shutdown, CoordinatorGone);
    await assert.rejects(
      session.waitFor(() => true, 3_600_000, 'never'),
      CoordinatorGone,
    );
    assert.deepEqual(aborts, ['lost the coordinator']);
    await session.close(false);
    assert.equal(transport.closedWith, true, 'nothing queued is worth waiting for once the coordinator is gone');
  });

  it('a wait that expires names what it waited for', async () => {
    const { session } = inRing();
    await assert.rejects(
      session.waitFor(() => false, 5, 'the coordinator never confirmed the end of the run'),
      /never confirmed the end of the run within 0\.005 s/,
    );
  });
});
