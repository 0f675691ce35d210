import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn, root } from './cli-harness.test.util.js';

const moon = join(root, 'examples/doublemoon.json');

describe('run directories of concurrent runs', { timeout: 600_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-rundir-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('of runs started at once into one --out, exactly one trains and the others are refused with exit 2', async () => {
    const out = join(dir, 'shared');
    const runs = await Promise.all(
      [1, 2, 3].map((seed) =>
        awn(['train', '--config', moon, '--steps', '30', '--seed', String(seed), '--out', out], 300_000),
      ),
    );
    const ok = runs.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, runs.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
    for (const r of runs.filter((x) => x.code !== 0)) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /in use by another awn process|already exists and is not empty/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 30);
    const steps = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step as number);
    assert.deepEqual(steps, [10, 20, 30], 'one run wrote metrics.jsonl');
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.ok([1, 2, 3].includes(config.seed));
    assert.deepEqual((await readdir(out)).sort(), [
      'checkpoints',
      'config.json',
      'metrics.jsonl',
      'report.html',
      'summary.json',
    ]);
  });

  it('runs started in the same second without --out get directories of their own', async () => {
    const cwd = join(dir, 'cwd');
    await mkdir(cwd);
    const runs = await Promise.all(
      [1, 2, 3].map(() => awn(['train', '--config', moon, '--steps', '5'], 300_000, {}, cwd)),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const made = await readdir(join(cwd, 'runs'));
    assert.equal(made.length, 3, made.join(', '));
    for (const name of made) assert.ok((await readdir(join(cwd, 'runs', name))).includes('summary.json'), name);
  });

  it('resuming a run killed after its last step but before its summary writes summary and report', async () => {
    const out = join(dir, 'unsummarized');
    const first = await awn(['train', '--config', moon, '--steps', '20', '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    const summary = await readFile(join(out, 'summary.json'), 'utf8');
    await rm(join(out, 'summary.json'));
    await rm(join(out, 'report.html'));
    const r = await awn(['train', '--resume', out]);
    assert.equal(r.code, 0, r.stderr);
    const again = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(again.widths, JSON.parse(summary).widths);
    assert.deepEqual(again.test, JSON.parse(summary).test);
    assert.ok((await readdir(out)).includes('report.html'));
    const done = await awn(['train', '--resume', out]);
    assert.equal(done.code, 2, 'a finished run is not trained again');
    assert.match(done.stderr, /already completed 20 of 20 steps/);
  });

  it('--force refuses to delete a directory that is not a run directory', async () => {
    const mine = join(dir, 'mine');
    await mkdir(join(mine, 'sub'), { recursive: true });
    await writeFile(join(mine, 'notes.txt'), 'keep me');
    await writeFile(join(mine, 'sub', 'data.csv'), 'a,b\n1,2\n');
    const r = await awn(['train', '--config', moon, '--steps', '5', '--out', mine, '--force']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--force replaces only an awn run directory/);
    assert.equal(await readFile(join(mine, 'notes.txt'), 'utf8'), 'keep me');
    assert.equal(await readFile(join(mine, 'sub', 'data.csv'), 'utf8'), 'a,b\n1,2\n');
    assert.deepEqual((await readdir(mine)).sort(), ['notes.txt', 'sub']);
  });
});
