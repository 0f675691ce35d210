import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointContents } from './format.js';
import { saveCheckpoint } from './file.js';
import {
  checkpointFileName,
  latestValidCheckpoint,
  listCheckpoints,
  parseCheckpointFileName,
  pruneCheckpoints,
  removeOrphanedTemporaries,
} from './directory.js';
import { spawn } from 'node:child_process';

let dir = '';
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'awn-ckpts-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function contents(step: number, kind = 'awn-mlp'): CheckpointContents {
  return { kind, meta: { step }, tensors: { w: { shape: [2], data: Float32Array.of(step, -step) } } };
}

async function corrupt(step: number): Promise<void> {
  const path = join(dir, checkpointFileName(step));
  const bytes = await fsp.readFile(path);
  bytes[20] ^= 1;
  await fsp.writeFile(path, bytes);
}

test('file names are zero-padded by step and parse back; other names are ignored', () => {
  assert.equal(checkpointFileName(123), 'step-00000123.awnckpt');
  assert.equal(checkpointFileName(1234567890), 'step-1234567890.awnckpt');
  assert.equal(parseCheckpointFileName('step-00000123.awnckpt'), 123);
  assert.equal(parseCheckpointFileName('step-1234567890.awnckpt'), 1234567890);
  for (const other of [
    'step-123.awnckpt',
    '.step-00000123.awnckpt.77.1.tmp',
    'step-00000123.awnckpt.bak',
    'notes.txt',
  ]) {
    assert.equal(parseCheckpointFileName(other), undefined, other);
  }
  assert.throws(() => checkpointFileName(-1), /step/);
});

test('listCheckpoints sorts by step and treats a missing directory as empty', async () => {
  assert.deepEqual(await listCheckpoints(join(dir, 'absent')), []);
  for (const s of [20, 3, 100000000]) await saveCheckpoint(join(dir, checkpointFileName(s)), contents(s));
  await fsp.writeFile(join(dir, '.step-00000030.awnckpt.1.1.tmp'), 'partial');
  const files = await listCheckpoints(dir);
  assert.deepEqual(
    files.map((f) => f.step),
    [3, 20, 100000000],
  );
  assert.equal(files[0].path, join(dir, 'step-00000003.awnckpt'));
  await assert.rejects(listCheckpoints(files[0].path), /could not be listed/);
});

test('latestValidCheckpoint returns the newest file that verifies, reporting the ones skipped', async () => {
  for (const s of [1, 2, 3, 4])
    await saveCheckpoint(join(dir, checkpointFileName(s)), contents(s, s === 3 ? 'awn-transformer' : 'awn-mlp'));
  await corrupt(4);
  const any = await latestValidCheckpoint(dir);
  assert.equal(any.latest?.step, 3);
  assert.deepEqual(
    any.skipped.map((s) => [s.step, s.error.problem]),
    [[4, 'corrupt']],
  );
  assert.match(any.skipped[0].reason, /step-00000004\.awnckpt: is corrupt/);

  const mlp = await latestValidCheckpoint(dir, { kind: 'awn-mlp' });
  assert.equal(mlp.latest?.step, 2);
  assert.deepEqual(mlp.latest?.contents, contents(2));
  assert.deepEqual(
    mlp.skipped.map((s) => [s.step, s.error.problem]),
    [
      [4, 'corrupt'],
      [3, 'kind'],
    ],
  );
});

test('latestValidCheckpoint with nothing usable reports every file', async () => {
  assert.deepEqual(await latestValidCheckpoint(join(dir, 'absent')), { latest: undefined, skipped: [] });
  await saveCheckpoint(join(dir, checkpointFileName(1)), contents(1));
  await fsp.writeFile(join(dir, checkpointFileName(2)), '');
  await corrupt(1);
  const r = await latestValidCheckpoint(dir);
  assert.equal(r.latest, undefined);
  assert.deepEqual(
    r.skipped.map((s) => [s.step, s.error.problem]),
    [
      [2, 'truncated'],
      [1, 'corrupt'],
    ],
  );
});

test('pruneCheckpoints keeps the newest valid ones and never the last good state', async () => {
  for (const s of [1, 2, 3, 4, 5]) await saveCheckpoint(join(dir, checkpointFileName(s)), contents(s));
  await corrupt(5);
  const removed = await pruneCheckpoints(dir, 2);
  assert.deepEqual(
    removed,
    [1, 2].map((s) => join(dir, checkpointFileName(s))),
  );
  assert.deepEqual(
    (await listCheckpoints(dir)).map((f) => f.step),
    [3, 4, 5],
  );
  await corrupt(4);
  await corrupt(3);
  assert.deepEqual(await pruneCheckpoints(dir, 1), [], 'no valid checkpoint: nothing is deleted');
  await assert.rejects(pruneCheckpoints(dir, 0), /keep/);
});

test('removeOrphanedTemporaries removes the temporary files of dead writers only', async () => {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  const dead = child.pid!;
  await saveCheckpoint(join(dir, checkpointFileName(5)), contents(5));
  const orphan = `.${checkpointFileName(6)}.${dead}.1.tmp`;
  const live = `.${checkpointFileName(7)}.${process.pid}.3.tmp`;
  await fsp.writeFile(join(dir, orphan), 'half a checkpoint');
  await fsp.writeFile(join(dir, live), 'being written');
  assert.deepEqual(await removeOrphanedTemporaries(dir), [join(dir, orphan)]);
  assert.deepEqual((await fsp.readdir(dir)).sort(), [live, checkpointFileName(5)].sort());
  assert.deepEqual(await removeOrphanedTemporaries(join(dir, 'missing')), []);
});
