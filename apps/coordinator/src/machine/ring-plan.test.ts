import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Member } from './membership.js';
import { planRing } from './ring-plan.js';

const member = (workerId: string, completed: number): Member => ({
  workerId,
  peer: Buffer.from(workerId),
  join: {} as never,
  rank: -1,
  lastSeen: 0,
  welcomed: true,
  confirmed: true,
  completed,
});

describe('planRing', () => {
  it('keeps the survivors in their order, appends newcomers, and roots the ring at one that completed the most steps', () => {
    const [a, b, c, d] = [member('a', 40), member('b', 41), member('c', 41), member('d', -1)];
    const plan = planRing([a, b, c], [c, d, a], 0);
    assert.deepEqual(
      plan.ring.map((m) => m.workerId),
      ['a', 'c', 'd'],
    );
    assert.equal(plan.resumeStep, 41);
    assert.equal(plan.root, 1, 'c applied step 41: its state is the one every rank takes');
  });

  it('a first ring of a resumed run starts from the checkpoint step at rank 0', () => {
    const plan = planRing([], [member('x', -1), member('y', -1)], 50);
    assert.deepEqual([plan.resumeStep, plan.root], [50, 0]);
    assert.throws(() => planRing([], [], 0), /at least one member/);
  });
});
