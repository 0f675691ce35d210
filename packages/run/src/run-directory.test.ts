import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory, defaultRunPath } from './run-directory.js';
import { UsageError } from './errors.js';
import { metricsLine } from './metrics-log.js';

const isUsage = (pattern: RegExp) => (e: Error) => e instanceof UsageError && pattern.test(e.message);

describe('RunDirectory', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'awn-rundir-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('creates the directory with checkpoints/ and writes JSON and metrics lines', async () => {
    const dir = await RunDirectory.create(join(root, 'a', 'run'));
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
    await dir.close();
    const names = await readdir(dir.path);
    for (const n of ['config.json', 'metrics.jsonl', 'checkpoints']) assert.ok(names.includes(n), `${n} missing`);
    assert.deepEqual(JSON.parse(await readFile(dir.file('config.json'), 'utf8')), { name: 'a' });
  });

  it('refuses a non-empty directory without --force', async () => {
    const path = join(root, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'config.json'), '{}');
    await assert.rejects(RunDirectory.create(path), isUsage(/already exists.*--force/));
  });

  it('opens only a directory holding config.json and checkpoints/ for a resume', async () => {
    await assert.rejects(RunDirectory.open(join(root, 'nowhere')), isUsage(/no such run directory/));
    const path = join(root, 'not-a-run');
    await mkdir(path);
    await writeFile(join(path, 'notes.txt'), 'mine');
    await assert.rejects(RunDirectory.open(path), isUsage(/not an awn run directory/));
  });

  it('names default directories runs/<name>-<UTC time>', () => {
    assert.match(defaultRunPath('spiral', new Date('2026-01-02T03:04:05.678Z')), /^runs\/spiral-20260102-030405/);
  });
});
