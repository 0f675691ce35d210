import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withEnvelope, type JoinMessage } from '@awn/protocol';
import { Membership } from './membership.js';

function join(workerId: string, extra: Partial<JoinMessage> = {}): JoinMessage {
  return {
    ...withEnvelope({ runId: '', generation: 0, step: 0, sender: -1 }, 'join', {
      workerId,
      host: 'h',
      pid: 1,
      dataAddress: `tcp://${workerId}:1`,
      configHash: 'none',
      backend: 'cpu',
    }),
    ...extra,
  };
}

const peer = (n: number) => Buffer.from([n]);

describe('Membership', () => {
  it('admits up to capacity and refuses a wrong run, a different config, a duplicate id and a full run, saying why', () => {
    const m = new Membership(2, 100, 3, { runId: 'run', configHash: 'abc' }, 0);
    assert.ok('admitted' in m.admit(peer(1), join('a'), 0, false));
    const refused = (j: JoinMessage, closed = false) => {
      const a = m.admit(peer(9), j, 0, closed);
      return 'refused' in a ? a.refused.code : 'admitted';
    };
    assert.equal(refused(join('b', { runId: 'other' })), 'run-id-mismatch');
    assert.equal(refused(join('b', { configHash: 'zzz' })), 'config-mismatch');
    assert.equal(refused(join('a')), 'duplicate-worker');
    assert.equal(refused(join('b'), true), 'run-full');
    assert.equal(refused(join('b', { configHash: 'abc' })), 'admitted');
    assert.equal(refused(join('c')), 'run-full');
    assert.equal(m.byPeer(peer(1))?.workerId, 'a');
  });

  it('a member whose state is due is not lost while its heartbeats queue behind it, but is at the deadline', () => {
    const m = new Membership(1, 100, 3, { runId: 'run', configHash: 'abc' }, 0);
    const a = (m.admit(peer(1), join('a'), 0, false) as { admitted: never }).admitted;
    m.expectState(a, 5000);
    for (let t = 100; t <= 5000; t += 100)
      assert.deepEqual(m.silent(t), [], `silent at ${t} ms while the state is due`);
    assert.deepEqual(
      m.silent(5100).map((l) => l.member),
      [a],
      'past the deadline the silence counts again',
    );
    m.expectState(a, 10_000);
    m.heard(a, 5200);
    m.stateArrived(a);
    for (let t = 5200; t <= 5500; t += 100) assert.deepEqual(m.silent(t), []);
    assert.deepEqual(
      m.silent(5600).map((l) => l.member),
      [a],
      'once the state arrived, 3 missed heartbeats lose it again',
    );
  });

  it('a member silent for more than `misses` intervals is reported, one that spoke is not', () => {
    const m = new Membership(2, 100, 3, { runId: 'run', configHash: 'abc' }, 0);
    const a = (m.admit(peer(1), join('a'), 0, false) as { admitted: never }).admitted;
    const b = (m.admit(peer(2), join('b'), 0, false) as { admitted: never }).admitted;
    for (let t = 100; t <= 300; t += 100) {
      m.heard(b, t);
      assert.deepEqual(m.silent(t), []);
    }
    m.heard(b, 400);
    const lost = m.silent(400);
    assert.deepEqual(
      lost.map((l) => [l.member, l.silentMs]),
      [[a, 400]],
    );
    assert.ok(m.remove(a));
    assert.equal(m.has(a), false);
    assert.equal(m.size, 1);
  });

  it("the coordinator's own pause counts against nobody: silence is measured from when it listens again", () => {
    const m = new Membership(1, 100, 3, { runId: 'run', configHash: 'abc' }, 0);
    const a = (m.admit(peer(1), join('a'), 0, false) as { admitted: never }).admitted;
    m.heard(a, 100);
    assert.deepEqual(m.silent(100), []);
    // Blocked for 5 s (a long synchronous task): the worker's heartbeats wait unread in the socket.
    assert.deepEqual(m.silent(5100), [], 'a late tick evicts nobody');
    assert.deepEqual(m.silent(5200), []);
    assert.deepEqual(m.silent(5300), []);
    assert.deepEqual(m.silent(5400), []);
    // Still nothing after `misses` intervals of listening: now it is really silent.
    assert.equal(m.silent(5500).length, 1);
  });

  it('says when the next member turns silent, so a death is caught at 3 heartbeats and not a tick later', () => {
    const m = new Membership(2, 100, 3, { runId: 'run', configHash: 'abc' }, 0);
    assert.equal(m.nextSilenceAt(), undefined, 'nobody to lose');
    const a = (m.admit(peer(1), join('a'), 0, false) as { admitted: never }).admitted;
    const b = (m.admit(peer(2), join('b'), 0, false) as { admitted: never }).admitted;
    m.heard(a, 130);
    m.heard(b, 170);
    assert.equal(m.nextSilenceAt(), 430);
    assert.deepEqual(m.silent(430), [], 'at the limit: not yet');
    assert.deepEqual(
      m.silent(431).map((l) => l.member),
      [a],
    );
    m.remove(a);
    assert.equal(m.nextSilenceAt(), 470);
    m.expectState(b, 2000);
    assert.equal(m.nextSilenceAt(), 2000, 'a member whose state is due is not silent before the deadline');
  });
});
