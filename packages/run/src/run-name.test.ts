import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDefaultRunPath, defaultRunPath } from './run-name.js';

describe('default run names', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'awn-runname-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('are runs/<name>-<UTC time>', () => {
    assert.equal(
      defaultRunPath('spiral', new Date('2026-01-02T03:04:05.678Z')),
      join('runs', 'spiral-20260102-030405'),
    );
  });

  it('never hand one name to two runs started in the same second', async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const paths = await Promise.all([1, 2, 3, 4, 5].map(() => claimDefaultRunPath('moon', now, root)));
    assert.equal(new Set(paths).size, 5);
    assert.deepEqual((await readdir(root)).sort(), [
      'moon-20260102-030405',
      'moon-20260102-030405-2',
      'moon-20260102-030405-3',
      'moon-20260102-030405-4',
      'moon-20260102-030405-5',
    ]);
  });
});
