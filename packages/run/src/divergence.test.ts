import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DivergenceWatch, divergedMessage, EXPLOSION_FACTOR, setAsideDiverged } from './divergence.js';

const healthy = (step: number, widths = [40, 30]) => ({ step, loss: 100 / step, nll: 0.5, widths });

describe('DivergenceWatch', () => {
  it('passes a healthy run whose loss falls and widths grow gradually', () => {
    const watch = new DivergenceWatch(4096, [32, 32]);
    for (let s = 1; s <= 200; s++) assert.equal(watch.update(healthy(s, [32 + s, 32 + 2 * s])), undefined);
  });

  it('stops at a non-finite loss; the state before that step is the first bad one', () => {
    const watch = new DivergenceWatch(4096);
    watch.update(healthy(1));
    const d = watch.update({ step: 2, loss: Number.NaN, nll: 0.5, widths: [40, 30] });
    assert.deepEqual(d && { step: d.step, firstBadState: d.firstBadState }, { step: 2, firstBadState: 1 });
    assert.match(d!.reason, /the loss is NaN/);
    assert.ok(new DivergenceWatch(4096).update({ step: 1, loss: 1, nll: Number.POSITIVE_INFINITY, widths: [] }));
  });

  it(`stops at a loss ${EXPLOSION_FACTOR} times the first step's`, () => {
    const watch = new DivergenceWatch(4096);
    watch.update({ step: 5, loss: 1000, nll: 1, widths: [40] });
    assert.equal(watch.update({ step: 6, loss: 1000 * EXPLOSION_FACTOR * 0.9, nll: 1, widths: [40] }), undefined);
    const d = watch.update({ step: 7, loss: 1000 * EXPLOSION_FACTOR * 2, nll: 1, widths: [40] });
    assert.equal(d?.firstBadState, 6);
    assert.match(d!.reason, /exploded to 2\.0e\+6 × the first step's 1000/);
  });

  it('stops when every layer jumps to the cap in one step, but not when layers grow there', () => {
    const jump = new DivergenceWatch(4096, [232, 232]);
    const d = jump.update({ step: 1, loss: 10, nll: 1, widths: [4096, 4096] });
    assert.equal(d?.firstBadState, 1);
    assert.match(d!.reason, /every adaptive layer jumped to model\.maxWidth \(4096\) in one step \(from 232, 232\)/);

    const grows = new DivergenceWatch(64, [8, 8]);
    for (let s = 1; s <= 56; s++)
      assert.equal(grows.update({ step: s, loss: 1, nll: 1, widths: [8 + s, 8 + s] }), undefined);
    const one = new DivergenceWatch(4096, [232, 232]);
    assert.equal(
      one.update({ step: 1, loss: 10, nll: 1, widths: [4096, 240] }),
      undefined,
      'one layer at the cap is a warning, not divergence',
    );
  });
});

describe('setAsideDiverged', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-diverged-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('renames the checkpoints of the diverged state and names the newest one kept', async () => {
    const ckpts = join(dir, 'checkpoints');
    await mkdir(ckpts);
    for (const s of [10, 20, 30]) await writeFile(join(ckpts, `step-000000${s}.awnckpt`), String(s));
    const kept = await setAsideDiverged(ckpts, 20);
    assert.equal(kept, 'step-00000010.awnckpt');
    assert.deepEqual((await readdir(ckpts)).sort(), [
      'diverged-step-00000020.awnckpt',
      'diverged-step-00000030.awnckpt',
      'step-00000010.awnckpt',
    ]);
    const msg = divergedMessage({ step: 21, reason: 'x', firstBadState: 20 }, kept, dir, 1e6);
    assert.match(
      msg,
      /diverged at step 21: x; stopped\. The newest checkpoint before it, .*step-00000010\.awnckpt, is kept/,
    );
    assert.match(msg, /learningRate \(now 1000000\)/);
  });
});
