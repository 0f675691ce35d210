import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn, flipByte, literal, trainDoubleMoon } from './cli-harness.test.util.js';

describe('awn eval', { timeout: 300_000 }, () => {
  let dir = '';
  let run = '';
  let summary: Awaited<ReturnType<typeof trainDoubleMoon>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-eval-'));
    run = join(dir, 'moon');
    summary = await trainDoubleMoon(run);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('scores the newest checkpoint of a run directory with the test accuracy of summary.json', async () => {
    const r = await awn(['eval', run]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, literal(`${join(run, 'checkpoints', 'step-00000300.awnckpt')} (step 300)`));
    assert.match(r.stdout, new RegExp(`^accuracy\\s+${(summary.test.accuracy * 100).toFixed(2)} %$`, 'm'));
    assert.match(r.stdout, new RegExp(`^widths\\s+${summary.widths.join('·')} Σ`, 'm'));
  });

  it('--json gives the exact scores, and --split validation scores the other split', async () => {
    const test = await awn(['eval', run, '--json']);
    assert.equal(test.code, 0, test.stderr);
    const t = JSON.parse(test.stdout);
    assert.equal(t.scores.accuracy, summary.test.accuracy);
    assert.equal(t.scores.examples, 1000);
    assert.equal(t.split, 'test');
    assert.equal(t.step, 300);
    assert.deepEqual(t.widths, summary.widths);

    const validation = await awn([
      'eval',
      join(run, 'checkpoints', 'step-00000300.awnckpt'),
      '--split',
      'validation',
      '--json',
      '--backend',
      'cpu',
    ]);
    assert.equal(validation.code, 0, validation.stderr);
    const v = JSON.parse(validation.stdout);
    assert.equal(v.split, 'validation');
    assert.equal(v.backend, 'cpu');
    assert.equal(v.scores.examples, 400, 'the validation split of doublemoon, not the test split');
  });

  it('falls back to an older checkpoint when the newest is damaged, and says so', async () => {
    const copy = join(dir, 'damaged');
    await mkdir(join(copy, 'checkpoints'), { recursive: true });
    const good = join(run, 'checkpoints', 'step-00000300.awnckpt');
    await copyFile(good, join(copy, 'checkpoints', 'step-00000300.awnckpt'));
    await flipByte(good, join(copy, 'checkpoints', 'step-00000400.awnckpt'));
    const r = await awn(['eval', copy, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: skipping .*step-00000400\.awnckpt.*checksum/);
    assert.equal(JSON.parse(r.stdout).step, 300);
  });

  it('a missing path is exit code 2 naming it', async () => {
    const missing = join(dir, 'no-such-run');
    const r = await awn(['eval', missing]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, literal(`${missing} does not exist`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a checkpoint with one flipped byte is exit code 2 naming the file', async () => {
    const bad = join(dir, 'flipped.awnckpt');
    await flipByte(join(run, 'checkpoints', 'step-00000300.awnckpt'), bad);
    const r = await awn(['eval', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, literal(bad));
    assert.match(r.stderr, /checksum mismatch/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a directory without checkpoints, an unknown split or backend is exit code 2 naming the problem', async () => {
    const empty = await awn(['eval', dir]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no step-\*\.awnckpt checkpoint in/);
    const split = await awn(['eval', run, '--split', 'train']);
    assert.equal(split.code, 2);
    assert.match(split.stderr, /--split <name>.*Allowed choices are test, validation/);
    const backend = await awn(['eval', run, '--backend', 'gpu']);
    assert.equal(backend.code, 2);
    assert.match(backend.stderr, /--backend must be one of auto, tensorflow, wasm, cpu, got 'gpu'/);
  });
});
