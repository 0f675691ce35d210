import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn } from './cli-harness.test.util.js';

interface MetricsLine {
  step: number;
  totalWidth: number;
  nll: number;
}

async function metrics(dir: string): Promise<MetricsLine[]> {
  return (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricsLine);
}

for (const workers of [undefined, 2]) {
  const how = workers ? `--workers ${workers}` : 'one process';
  test(`awn train --resume (${how}) continues in the same directory and ends where an uninterrupted run ends`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'awn-resume-'));
    const extra = workers ? ['--workers', String(workers), '--no-metrics'] : [];
    try {
      const whole = join(dir, 'whole');
      const split = join(dir, 'split');
      const full = await awn([
        'train',
        '--config',
        'examples/doublemoon.json',
        '--steps',
        '300',
        '--backend',
        'cpu',
        '--out',
        whole,
        ...extra,
      ]);
      assert.equal(full.code, 0, full.stderr);
      const first = await awn([
        'train',
        '--config',
        'examples/doublemoon.json',
        '--steps',
        '150',
        '--backend',
        'cpu',
        '--out',
        split,
        ...extra,
      ]);
      assert.equal(first.code, 0, first.stderr);

      const refused = await awn(['train', '--resume', split, '--steps', '300', ...extra]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /differs from the run's own \(training\.steps\); pass --config-change-ok/);

      const resumed = await awn(['train', '--resume', split, '--steps', '300', '--config-change-ok', ...extra]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /Finished doublemoon after 300 steps .*: test accuracy/);
      assert.match(resumed.stdout, /report: .*report\.html/);

      const lines = await metrics(split);
      const steps = lines.map((l) => l.step);
      assert.deepEqual(
        steps,
        [...new Set(steps)].sort((a, b) => a - b),
        'metrics.jsonl steps are increasing, none duplicated',
      );
      assert.equal(steps.at(-1), 300);
      const a = JSON.parse(await readFile(join(whole, 'summary.json'), 'utf8'));
      const b = JSON.parse(await readFile(join(split, 'summary.json'), 'utf8'));
      // The checkpoint holds weights, widths, Adam moments and the data cursor: the same result.
      assert.deepEqual(b.widths, a.widths);
      assert.equal(b.test.accuracy, a.test.accuracy);
      assert.deepEqual((await metrics(whole)).at(-1)!.nll, lines.at(-1)!.nll);

      // Killed after its last checkpoint but before the summary (the chaos suite hit this): the
      // resume trains no step and must still end with the summary of that checkpoint.
      await rm(join(split, 'summary.json'));
      await rm(join(split, 'report.html'));
      const again = await awn(['train', '--resume', split, ...extra]);
      assert.equal(again.code, 0, again.stderr);
      const c = JSON.parse(await readFile(join(split, 'summary.json'), 'utf8'));
      assert.deepEqual(c.widths, a.widths);
      assert.equal(c.test.accuracy, a.test.accuracy);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
