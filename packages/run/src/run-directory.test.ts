import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory } from './run-directory.js';
import { checkRunPath } from './check-run-path.js';
import { UsageError } from './errors.js';
import { metricsLine } from './metrics-log.js';
import { LOCK_FILE } from './run-lock.js';

const isUsage = (pattern: RegExp) => (e: Error) => e instanceof UsageError && pattern.test(e.message);

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('RunDirectory', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'awn-rundir-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('creates the directory with checkpoints/, holds a lock while open and writes JSON and metrics lines', async () => {
    const dir = await RunDirectory.create(join(root, 'a', 'run'));
    assert.ok(existsSync(join(dir.path, LOCK_FILE)), 'locked while the run lives');
    await dir.writeJson('config.json', { name: 'a' });
    await dir.appendMetrics(
      metricsLine({
        step: 1,
        epoch: 0,
        loss: 1,
        nll: 1,
        weightPrior: 0,
        ratePrior: 0,
        widths: [2],
        rates: [1],
        widthChanges: 0,
        samples: 4,
        samplesPerSecond: 1,
      }),
    );
    await dir.release();
    assert.deepEqual((await readdir(dir.path)).sort(), ['checkpoints', 'config.json', 'metrics.jsonl']);
    assert.deepEqual(JSON.parse(await readFile(dir.file('config.json'), 'utf8')), { name: 'a' });
  });

  it('lets exactly one of several runs started at once into one directory', async () => {
    const path = join(root, 'race');
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => RunDirectory.create(path)));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, 'one owner');
    for (const r of results)
      if (r.status === 'rejected') assert.ok(isUsage(/in use by another awn process|not empty/)(r.reason));
    await (won[0] as PromiseFulfilledResult<RunDirectory>).value.release();
  });

  it('refuses a non-empty directory without --force', async () => {
    const path = join(root, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'config.json'), '{}');
    await assert.rejects(RunDirectory.create(path), isUsage(/already exists.*--force/));
    assert.deepEqual(await readdir(path), ['config.json'], 'lock released, nothing added');
  });

  it('--force replaces a run directory but never a directory of other files', async () => {
    const mine = join(root, 'mine');
    await mkdir(join(mine, 'sub'), { recursive: true });
    await writeFile(join(mine, 'notes.txt'), 'mine');
    await writeFile(join(mine, 'sub', 'data.csv'), 'a,b');
    await assert.rejects(RunDirectory.create(mine, { force: true }), isUsage(/only an awn run directory.*notes\.txt/));
    assert.equal(await readFile(join(mine, 'notes.txt'), 'utf8'), 'mine');
    assert.equal(await readFile(join(mine, 'sub', 'data.csv'), 'utf8'), 'a,b');

    const hidden = join(root, 'run-with-extra');
    await mkdir(join(hidden, 'checkpoints'), { recursive: true });
    await writeFile(join(hidden, 'config.json'), '{}');
    await writeFile(join(hidden, 'checkpoints', 'thesis.tex'), 'x');
    await assert.rejects(
      RunDirectory.create(hidden, { force: true }),
      isUsage(/checkpoints\/thesis\.tex/),
      'a run directory a user put files into is not replaced either',
    );

    const run = join(root, 'old-run');
    await mkdir(join(run, 'checkpoints'), { recursive: true });
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html'])
      await writeFile(join(run, f), '{}');
    await writeFile(join(run, 'checkpoints', 'step-00000010.awnckpt'), 'x');
    const dir = await RunDirectory.create(run, { force: true });
    assert.deepEqual((await readdir(run)).sort(), [LOCK_FILE, 'checkpoints'].sort());
    assert.deepEqual(await readdir(dir.checkpoints), []);
    await dir.release();
  });

  it('--force also replaces a run killed as it started and one with diverged checkpoints set aside', async () => {
    const started = join(root, 'killed-at-start');
    await mkdir(join(started, 'checkpoints'), { recursive: true });
    const a = await RunDirectory.create(started, { force: true });
    await a.release();
    const diverged = join(root, 'diverged');
    await mkdir(join(diverged, 'checkpoints'), { recursive: true });
    await writeFile(join(diverged, 'config.json'), '{}');
    await writeFile(join(diverged, 'checkpoints', 'diverged-step-00000004.awnckpt'), 'x');
    const b = await RunDirectory.create(diverged, { force: true });
    await b.release();
    assert.deepEqual(await readdir(join(diverged, 'checkpoints')), []);
  });

  it('takes over the lock of a killed run but refuses one whose holder lives', async () => {
    const path = join(root, 'crashed');
    await mkdir(join(path, 'checkpoints'), { recursive: true });
    await writeFile(join(path, 'config.json'), '{}');
    const lock = (pid: number) => JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00Z' });
    await writeFile(join(path, LOCK_FILE), lock(await deadPid()));
    const dir = await RunDirectory.open(path);
    await dir.release();

    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)']);
    try {
      await writeFile(join(path, LOCK_FILE), lock(sleeper.pid!));
      await assert.rejects(
        RunDirectory.open(path),
        isUsage(new RegExp(`in use by another awn process \\(pid ${sleeper.pid}`)),
      );
      await assert.rejects(RunDirectory.create(path, { force: true }), isUsage(/in use/));
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('removes the temporary files of killed writes when a run resumes', async () => {
    const path = join(root, 'orphans');
    await mkdir(join(path, 'checkpoints'), { recursive: true });
    await writeFile(join(path, 'config.json'), '{}');
    const dead = await deadPid();
    const orphans = [`summary.json.${dead}.tmp`, 'report.html.tmp', `metrics.jsonl.tmp-${dead}`];
    for (const f of orphans) await writeFile(join(path, f), 'half');
    await writeFile(join(path, 'checkpoints', `.step-00000020.awnckpt.${dead}.1.tmp`), 'half');
    await writeFile(join(path, 'checkpoints', 'step-00000010.awnckpt'), 'kept');
    const dir = await RunDirectory.open(path);
    await dir.release();
    assert.deepEqual((await readdir(path)).sort(), ['checkpoints', 'config.json']);
    assert.deepEqual(await readdir(join(path, 'checkpoints')), ['step-00000010.awnckpt']);
  });

  it('opens only a directory holding config.json and checkpoints/ for a resume', async () => {
    await assert.rejects(RunDirectory.open(join(root, 'nowhere')), isUsage(/no such run directory/));
    const path = join(root, 'not-a-run');
    await mkdir(path);
    await writeFile(join(path, 'notes.txt'), 'mine');
    await assert.rejects(RunDirectory.open(path), isUsage(/not an awn run directory/));
  });

  it('reports an unwritable or virtual place as a usage error instead of hanging or throwing', async () => {
    const file = join(root, 'plain-file');
    await writeFile(file, 'x');
    await assert.rejects(RunDirectory.create(file), isUsage(/exists and is not a directory/));
    await assert.rejects(RunDirectory.create(join(file, 'run')), isUsage(/cannot create the run directory here/));
    if (process.platform === 'linux') {
      await assert.rejects(RunDirectory.create('/proc/awn-run-test'), isUsage(/cannot create the run directory here/));
      await assert.rejects(
        RunDirectory.create('/proc/awn/deeper/run'),
        isUsage(/cannot create the run directory here/),
      );
      await assert.rejects(RunDirectory.create('/sys/awn-run-test'), isUsage(/cannot create the run directory here/));
    }
  });
});

describe('checkRunPath', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'awn-checkpath-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('accepts a new or empty place and creates nothing', async () => {
    await checkRunPath(join(root, 'a', 'b', 'run'));
    assert.deepEqual(await readdir(root), []);
  });

  it('refuses what create would refuse, before anything is made', async () => {
    const file = join(root, 'file');
    await writeFile(file, 'x');
    await assert.rejects(checkRunPath(file), isUsage(/exists and is not a directory/));
    await assert.rejects(checkRunPath(join(file, 'run')), isUsage(/is not a directory/));
    const notes = join(root, 'notes');
    await mkdir(notes);
    await writeFile(join(notes, 'notes.txt'), 'x');
    await assert.rejects(checkRunPath(notes), isUsage(/not empty/));
    await assert.rejects(checkRunPath(notes, { force: true }), isUsage(/only an awn run directory/));
    if (process.platform === 'linux') {
      await assert.rejects(checkRunPath('/proc/awnrun'), isUsage(/procfs, a virtual file system/));
      await assert.rejects(checkRunPath('/sys/x'), isUsage(/sysfs, a virtual file system/));
    }
  });
});
