import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn, flipByte, literal, trainDoubleMoon } from './cli-harness.test.util.js';

interface TruncateJson {
  source: string;
  out: string;
  before: { widths: number[]; parameters: number; scores: { accuracy: number; nll: number } };
  after: { widths: number[]; parameters: number; scores: { accuracy: number; nll: number } };
}

describe('awn truncate', { timeout: 300_000 }, () => {
  let dir = '';
  let run = '';
  let source = '';
  let sourceBytes: Buffer;
  let summary: Awaited<ReturnType<typeof trainDoubleMoon>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-truncate-'));
    run = join(dir, 'moon');
    summary = await trainDoubleMoon(run);
    source = join(run, 'checkpoints', 'step-00000300.awnckpt');
    sourceBytes = await readFile(source);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--keep 1 keeps every neuron and the score', async () => {
    const r = await awn(['truncate', run, '--keep', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const t: TruncateJson = JSON.parse(r.stdout);
    assert.equal(t.source, source);
    assert.equal(t.out, join(run, 'truncated-keep1.00.awnckpt'), 'in the run directory, not in its checkpoints/');
    assert.deepEqual(t.after.widths, t.before.widths);
    assert.equal(t.before.scores.accuracy, summary.test.accuracy);
    assert.equal(t.after.scores.accuracy, t.before.scores.accuracy);
    assert.ok(
      Math.abs(t.after.scores.nll - t.before.scores.nll) < 1e-5,
      `nll ${t.before.scores.nll} → ${t.after.scores.nll}`,
    );
  });

  it('--keep 0.7 writes a smaller checkpoint that awn eval loads, losing at most one point of accuracy', async () => {
    const r = await awn(['truncate', run, '--keep', '0.7']);
    assert.equal(r.code, 0, r.stderr);
    const out = join(run, 'truncated-keep0.70.awnckpt');
    assert.match(r.stdout, literal(`written        ${out}`));
    const kept = summary.widths.map((w) => Math.max(1, Math.round(w * 0.7)));
    assert.match(
      r.stdout,
      literal(
        `widths         ${summary.widths.join('·')} Σ${summary.widths[0] + summary.widths[1]}  →  ${kept.join('·')} Σ${kept[0] + kept[1]}`,
      ),
    );
    const scores = /^test accuracy\s+([\d.]+) %\s+→\s+([\d.]+) %$/m.exec(r.stdout);
    assert.ok(scores, r.stdout);
    assert.equal(Number(scores[1]), Number((summary.test.accuracy * 100).toFixed(2)));
    assert.ok(Number(scores[2]) >= Number(scores[1]) - 1, `accuracy ${scores[1]} % → ${scores[2]} %`);

    const e = await awn(['eval', out, '--json']);
    assert.equal(e.code, 0, e.stderr);
    const evaluated = JSON.parse(e.stdout);
    assert.deepEqual(evaluated.widths, kept);
    assert.equal(
      (evaluated.scores.accuracy * 100).toFixed(2),
      scores[2],
      'eval of the written file agrees with what truncate printed',
    );
    assert.deepEqual(await readFile(source), sourceBytes, 'the source checkpoint is untouched');
    // Only step-* files are checkpoints of the run: the truncated one never becomes the one resumed or evaluated by default.
    assert.equal(JSON.parse((await awn(['eval', run, '--json'])).stdout).checkpoint, source);
  });

  it('--widths cuts each layer to the given width, into --out', async () => {
    const out = join(dir, 'small', 'moon-small.awnckpt');
    const r = await awn(['truncate', source, '--widths', `${summary.widths[0] - 1},1`, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const t: TruncateJson = JSON.parse(r.stdout);
    assert.equal(t.out, out);
    assert.deepEqual(t.after.widths, [summary.widths[0] - 1, 1]);
    assert.ok(t.after.parameters < t.before.parameters);
    assert.deepEqual(JSON.parse((await awn(['eval', out, '--json'])).stdout).widths, [summary.widths[0] - 1, 1]);
  });

  const bad: [string, string[], RegExp][] = [
    ['--keep above 1', ['--keep', '1.5'], /--keep must be a fraction in \(0, 1\], got '1\.5'/],
    ['--keep 0', ['--keep', '0'], /--keep must be a fraction in \(0, 1\], got '0'/],
    ['--keep not a number', ['--keep', 'most'], /--keep must be a fraction in \(0, 1\], got 'most'/],
    [
      'too many --widths',
      ['--widths', '4,3,2'],
      /--widths needs 2 widths \(one per adaptive layer; now \d+,\d+\), got 3/,
    ],
    ['too few --widths', ['--widths', '4'], /--widths needs 2 widths .*got 1/],
    [
      'a width above the current one',
      ['--widths', '100000,1'],
      /--widths: layer 0 can keep at most its current \d+ neurons, got 100000/,
    ],
    ['a zero width', ['--widths', '0,1'], /--widths must be positive integers separated by commas/],
    [
      'both --keep and --widths',
      ['--keep', '0.5', '--widths', '1,1'],
      /'--keep <fraction>' cannot be used with option '--widths <list>'/,
    ],
    ['neither --keep nor --widths', [], /give --keep FRACTION or --widths/],
  ];
  for (const [what, flags, message] of bad) {
    it(`${what} is exit code 2 naming the flag, and writes nothing`, async () => {
      const before = await readdir(join(run, 'checkpoints'));
      const r = await awn(['truncate', run, ...flags]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(await readdir(join(run, 'checkpoints')), before);
    });
  }

  it('refuses an existing --out without --force and any --out inside a run checkpoints/', async () => {
    const summaryPath = join(run, 'summary.json');
    const summaryBytes = await readFile(summaryPath);
    const clobber = await awn(['truncate', run, '--keep', '0.5', '--out', summaryPath]);
    assert.equal(clobber.code, 2, clobber.stderr);
    assert.match(clobber.stderr, /--out .*summary\.json already exists; pass --force/);
    assert.deepEqual(await readFile(summaryPath), summaryBytes, 'summary.json untouched');

    const before = await readdir(join(run, 'checkpoints'));
    const newest = join(run, 'checkpoints', 'step-99999999.awnckpt');
    const fake = await awn(['truncate', run, '--keep', '0.5', '--out', newest, '--force']);
    assert.equal(fake.code, 2, fake.stderr);
    assert.match(fake.stderr, /inside the checkpoints\/ of run .*holds only the run's own checkpoints/);
    const step = join(run, 'checkpoints', before[before.length - 1]);
    const overwrite = await awn(['truncate', source, '--keep', '0.5', '--out', step, '--force']);
    assert.equal(overwrite.code, 2, overwrite.stderr);
    assert.deepEqual(await readdir(join(run, 'checkpoints')), before, 'checkpoints/ untouched');
    assert.deepEqual(await readFile(source), sourceBytes);

    const again = await awn(['truncate', run, '--keep', '1']);
    assert.equal(again.code, 2, 'the default output exists from the first test');
    assert.match(again.stderr, /truncated-keep1\.00\.awnckpt already exists/);
    assert.equal((await awn(['truncate', run, '--keep', '1', '--force'])).code, 0);
  });

  it('refuses to overwrite its source, a missing run and a corrupt checkpoint with exit code 2', async () => {
    const self = await awn(['truncate', source, '--keep', '0.5', '--out', source]);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /is the source checkpoint; truncate never overwrites its source/);
    assert.deepEqual(await readFile(source), sourceBytes);

    const missing = await awn(['truncate', join(dir, 'gone'), '--keep', '0.5']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, literal(`${join(dir, 'gone')} does not exist`));

    const corrupt = join(dir, 'flipped.awnckpt');
    await flipByte(source, corrupt);
    const c = await awn(['truncate', corrupt, '--keep', '0.5']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, literal(corrupt));
    assert.match(c.stderr, /checksum mismatch/);
    assert.equal(existsSync(join(dir, 'truncated-keep0.50.awnckpt')), false);
  });
});
