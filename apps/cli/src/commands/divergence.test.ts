import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@awn/core';
import { awn, root } from './cli-harness.test.util.js';

const moon = join(root, 'examples/doublemoon.json');

describe('a diverging run stops with a clear message and keeps the checkpoint from before', {
  timeout: 600_000,
}, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-diverge-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lr 1e6 from the start: exit 1 at step 1, no checkpoint or summary of the diverged state', async () => {
    const config = JSON.parse(await readFile(moon, 'utf8'));
    config.training.optimizer.learningRate = 1e6;
    config.training.checkpointEvery = 1;
    const path = join(dir, 'lr6.json');
    await writeFile(path, JSON.stringify(config));
    const out = join(dir, 'lr6');
    const r = await awn(['train', '--config', path, '--steps', '40', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /awn: training diverged at step 1: every adaptive layer jumped to model\.maxWidth \(4096\)/);
    assert.match(r.stderr, /learningRate \(now 1000000\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await readdir(join(out, 'checkpoints')), []);
    assert.equal(existsSync(join(out, 'summary.json')), false);
  });

  it('diverging after a healthy stretch: the last healthy checkpoint stays the newest, unchanged', async () => {
    const out = join(dir, 'later');
    const first = await awn(['train', '--config', moon, '--steps', '20', '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    // The same healthy state, but an optimizer whose next step is absurd: resuming it diverges at once.
    const path = join(out, 'checkpoints', 'step-00000020.awnckpt');
    const c = await loadCheckpoint(path);
    (c.meta.optimizer as { learningRate: number }).learningRate = 1e6;
    await saveCheckpoint(path, c);
    const before = await readFile(path);
    const r = await awn(['train', '--resume', out, '--steps', '40', '--config-change-ok']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /training diverged at step 2[12]: .*The newest checkpoint before it, .*step-00000020\.awnckpt, is kept/,
    );
    assert.deepEqual(await readdir(join(out, 'checkpoints')), ['step-00000020.awnckpt']);
    assert.deepEqual(await readFile(path), before);
  });
});
