import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwnProcess } from './helpers.js';

describe('Ctrl-C stops a run cleanly', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-int-'));
    await writeFile(
      join(dir, 'long.json'),
      JSON.stringify({
        name: 'long',
        data: { dataset: 'doublemoon' },
        training: { steps: 1_000_000, batchSize: 32, logEvery: 1 },
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const workers of [undefined, 2]) {
    it(`${workers ? `with ${workers} workers` : 'in one process'}: final checkpoint, summary and report, exit code 130`, async () => {
      const out = join(dir, `run-${workers ?? 1}`);
      const p = new AwnProcess(
        [
          'train',
          '--config',
          join(dir, 'long.json'),
          '--out',
          out,
          ...(workers ? ['--workers', String(workers), '--metrics-port', '0'] : []),
        ],
        { AWN_LOG_LEVEL: 'info' },
        { detached: true },
      );
      await p.waitFor(/"step":(2\d|[3-9]\d|\d{3,})[,}]/, 60_000);
      // Like Ctrl-C in a terminal: SIGINT to the whole process group (coordinator and workers).
      process.kill(-p.child.pid!, 'SIGINT');
      const r = await p.done(60_000);
      assert.equal(r.code, 130, r.stderr.slice(-2000));
      assert.match(r.stdout, /Stopped long after \d+ steps/);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      assert.equal(summary.status, 'interrupted');
      assert.ok(summary.steps >= 20 && summary.steps < 1_000_000);
      const names = await readdir(out);
      assert.ok(names.includes('report.html'));
      const ckpts = await readdir(join(out, 'checkpoints'));
      assert.ok(
        ckpts.includes(`step-${String(summary.steps).padStart(8, '0')}.awnckpt`),
        `final checkpoint of step ${summary.steps} in ${ckpts.join()}`,
      );
    });
  }
});
