import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwnProcess, alive, awn } from './helpers.js';

/** Child pids of a process, from /proc (Linux). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('awn train --workers 2', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-dist-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes summary.json with world size, widths, test score and samples/s; the tree exits 0 and leaves nothing behind', async () => {
    const out = join(dir, 'run');
    const p = new AwnProcess([
      'train',
      '--config',
      'examples/doublemoon.json',
      '--steps',
      '400',
      '--workers',
      '2',
      '--out',
      out,
    ]);
    const [, port] = await p.waitFor(/coordinator listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
    let workers: number[] = [];
    for (let i = 0; i < 100 && workers.length < 2; i++) {
      workers = childPids(p.child.pid!);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(workers.length, 2, 'two worker processes');
    const r = await p.done(180_000);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.worldSize, 2);
    assert.equal(summary.steps, 400);
    assert.equal(summary.widths.length, 2);
    assert.ok(summary.widths.every((w: number) => w >= 1));
    assert.ok(summary.test.accuracy > 0.95, `accuracy ${summary.test.accuracy}`);
    assert.ok(summary.samplesPerSecond > 0);
    for (const w of workers) assert.equal(alive(w), false, `worker ${w} still running`);
    assert.equal(await portOpen(Number(port)), false, 'the coordinator port is closed');
  });

  it('a worker killed mid-run makes the others fail fast with an error naming it, not hang', async () => {
    const config = join(dir, 'long.json');
    await writeFile(
      config,
      JSON.stringify({
        name: 'long',
        data: { dataset: 'doublemoon' },
        training: { steps: 1_000_000, batchSize: 32, logEvery: 1 },
      }),
    );
    const coordinator = new AwnProcess([
      'coordinator',
      '--config',
      config,
      '--port',
      '0',
      '--workers',
      '2',
      '--out',
      join(dir, 'long'),
      '--heartbeat-ms',
      '300',
      '--collective-deadline',
      '5',
    ]);
    const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
    const w0 = new AwnProcess(['worker', '--coordinator', address]);
    const w1 = new AwnProcess(['worker', '--coordinator', address]);
    try {
      await coordinator.waitFor(/run \S+ started with 2 workers/);
      await coordinator.waitFor(/"step":20\b/, 60_000);
      w1.kill('SIGKILL');
      // Both end on their own (the 5 s collective deadline and the heartbeats); the bound here only
      // turns a hang into a failure, with room for a loaded machine.
      const [c, survivor] = await Promise.all([coordinator.done(120_000), w0.done(120_000)]);
      assert.notEqual(c.code, 0, 'the coordinator reports failure');
      // Ranks follow join order, so the killed worker is identified by the pid in its worker id.
      assert.match(
        c.stderr,
        new RegExp(`rank [01] \\([^)]*-${w1.child.pid}-[^)]*\\)`),
        'the coordinator names the lost rank and worker',
      );
      assert.notEqual(survivor.code, 0, 'the surviving worker exits non-zero');
      assert.match(survivor.stderr, /awn worker: /);
    } finally {
      for (const p of [coordinator, w0, w1]) p.kill();
    }
  });

  it('a worker started with a different config is refused with exit code 2 and the run goes on', async () => {
    const config = join(dir, 'a.json');
    const other = join(dir, 'b.json');
    await writeFile(
      config,
      JSON.stringify({ data: { dataset: 'doublemoon' }, training: { steps: 30, batchSize: 32 } }),
    );
    await writeFile(other, JSON.stringify({ data: { dataset: 'doublemoon' }, training: { steps: 31, batchSize: 32 } }));
    const coordinator = new AwnProcess([
      'coordinator',
      '--config',
      config,
      '--port',
      '0',
      '--workers',
      '1',
      '--out',
      join(dir, 'a'),
    ]);
    const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
    try {
      const refused = await awn(['worker', '--coordinator', address, '--config', other], 30_000);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /refused this worker: .*config hash/);
      const wrongRun = await awn(['worker', '--coordinator', address, '--run-id', 'not-this-run'], 30_000);
      assert.equal(wrongRun.code, 2);
      assert.match(wrongRun.stderr, /belongs to run not-this-run/);
      const good = await awn(['worker', '--coordinator', address, '--config', config], 60_000);
      assert.equal(good.code, 0, good.stderr);
      const c = await coordinator.done(60_000);
      assert.equal(c.code, 0, c.stderr.slice(-2000));
    } finally {
      coordinator.kill();
    }
  });
});
