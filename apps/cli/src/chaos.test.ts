import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './commands/cli-harness.test.util.js';

/** Runs scripts/chaos.mjs with the given flags; resolves with its exit code and output. */
function chaos(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts/chaos.mjs'), ...args], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const figure = (out: string, name: string): number => {
  const m = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(out);
  assert.ok(m, `no "${name}" figure in:\n${out}`);
  return Number(m[1]);
};

// The short form of the chaos suite (npm run chaos runs the long one): kills, pauses, concurrent
// runs and junk frames, each run finished and compared byte for byte with a clean run.
test('chaos suite (short): faults are injected and no run loses data', { timeout: 3_600_000 }, async () => {
  const r = await chaos(['--short', '--seed', '1']);
  assert.equal(r.code, 0, r.out);
  assert.ok(figure(r.out, 'faults injected') > 0, r.out);
  assert.equal(figure(r.out, 'data lost'), 0, r.out);
  const completed = figure(r.out, 'runs completed');
  assert.equal(completed, 5, r.out);
  assert.equal(figure(r.out, 'bytes identical'), completed, r.out);
  assert.ok(figure(r.out, 'runs refused \\(busy\\)') >= 2, 'the concurrent runs were refused');
});
