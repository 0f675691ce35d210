import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { root } from './commands/cli-harness.test.util.js';

test('`npx awn` runs the workspace command in the clone (npm links bin/awn.mjs at install time)', async () => {
  const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  // --no-install: only the linked workspace bin may answer, never a package fetched from the registry.
  const r = spawnSync('npx', ['--no-install', 'awn', '--version'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});
