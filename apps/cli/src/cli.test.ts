import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { awn as runAwn } from './commands/cli-harness.test.util.js';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The shared harness, at info level: these tests read the backend line from the log. */
const awn = (args: string[], timeoutMs?: number) => runAwn(args, timeoutMs, { AWN_LOG_LEVEL: 'info' });

describe('awn train (single process)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('trains the DoubleMoon example and leaves a complete run directory', async () => {
    const out = join(dir, 'moon');
    const r = await awn(['train', '--config', 'examples/doublemoon.json', '--steps', '600', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Finished doublemoon after 600 steps on 1 worker: test accuracy/);
    assert.match(
      r.stderr,
      /backend (wasm|tensorflow)[^"]*, BLAS (on|off)[^"]*, \d+ CPU threads, no sockets, world size 1/,
    );
    assert.match(r.stderr, /step 600\/600 nll \d\.\d{4} \| val acc \d+\.\d %/);
    const names = await readdir(out);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html', 'checkpoints'])
      assert.ok(names.includes(f), `${f} missing`);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 600);
    assert.equal(summary.worldSize, 1);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.widths.length, 2);
    assert.equal(summary.totalWidth, summary.widths[0] + summary.widths[1]);
    assert.ok(summary.test.accuracy > 0.95, `accuracy ${summary.test.accuracy}`);
    assert.ok(summary.samplesPerSecond > 0);
    assert.equal(summary.truncation.points.length, 10);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 60);
    assert.deepEqual(lines[lines.length - 1].widths, summary.widths);
    assert.ok(
      lines.some((l) => l.validation?.accuracy !== undefined),
      'validation scores logged',
    );
    const ckpts = await readdir(join(out, 'checkpoints'));
    assert.deepEqual(ckpts, ['step-00000500.awnckpt', 'step-00000600.awnckpt']);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.equal(config.training.steps, 600);
    assert.equal(config.model.maxWidth, 4096, 'defaults are resolved into config.json');
  });

  it('refuses to overwrite an existing run directory without --force', async () => {
    const out = join(dir, 'moon');
    const r = await awn(['train', '--config', 'examples/doublemoon.json', '--steps', '5', '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists and is not empty/);
    assert.ok(existsSync(join(out, 'summary.json')), 'the earlier run is untouched');
  });

  it('--print-config shows the resolved config with defaults', async () => {
    const r = await awn(['train', '--config', 'examples/spiral.json', '--print-config', '--seed', '7']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.equal(c.seed, 7);
    assert.equal(c.model.distribution.quantile, 0.9);
    assert.equal(c.training.optimizer.learningRate, 0.01);
  });

  const badConfigs: [string, unknown, RegExp][] = [
    [
      'unknown field',
      { data: { dataset: 'spiral' }, training: { steps: 1 }, learningRate: 3 },
      /unknown field 'learningRate'/,
    ],
    ['wrong type', { data: { dataset: 'spiral' }, training: { steps: 'ten' } }, /training\.steps: .*expected number/],
    [
      'negative width bound',
      { data: { dataset: 'spiral' }, model: { maxWidth: -4 }, training: { steps: 1 } },
      /model\.maxWidth: .*>=1/,
    ],
    [
      'unknown data set',
      { data: { dataset: 'cifar' }, training: { steps: 1 } },
      /data\.dataset: .*allowed: "doublemoon", "spiral", "spiralhard", "mnist"/,
    ],
  ];
  for (const [what, config, message] of badConfigs) {
    it(`a bad config (${what}) gives one clear message naming the field and exit code 2`, async () => {
      const path = join(dir, `bad-${what.replace(/ /g, '-')}.json`);
      await writeFile(path, JSON.stringify(config));
      const r = await awn(['train', '--config', path, '--out', join(dir, 'never')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, new RegExp(`invalid config ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(join(dir, 'never')), false, 'no run directory is created');
    });
  }

  it('a missing config file is exit code 2 naming the file', async () => {
    const r = await awn(['train', '--config', join(dir, 'nope.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config file .*nope\.json does not exist/);
  });

  it('YAML configs are accepted', async () => {
    const path = join(dir, 'moon.yaml');
    await writeFile(path, 'data:\n  dataset: doublemoon\ntraining:\n  steps: 3\n  batchSize: 16\n');
    const r = await awn(['train', '--config', path, '--print-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).training.batchSize, 16);
  });

  it('a bad flag value is exit code 2 naming the flag', async () => {
    const r = await awn(['train', '--config', 'examples/spiral.json', '--steps', '-3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--steps must be an integer in \[1, 1000000000\]/);
  });

  it('awn report rebuilds report.html of a run directory, and names a missing one', async () => {
    const out = join(dir, 'moon');
    await rm(join(out, 'report.html'));
    const r = await awn(['report', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /report written to .*report\.html/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /<figure id="chart-widths"/);
    assert.match(html, /accuracy \(higher is better\)/);
    assert.match(html, /<h2>Resolved config<\/h2>\n<pre>\{\n {2}&quot;name&quot;: &quot;doublemoon&quot;/);
    const missing = await awn(['report', join(dir, 'no-such-run')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*no-such-run\/summary\.json/);
  });

  it('report.html renders every chart in headless Chromium', async (t) => {
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
    if (!chromium) {
      t.skip('chromium is not installed (.ci/run installs it)');
      return;
    }
    const report = join(dir, 'moon', 'report.html');
    const profile = await mkdtemp(join(tmpdir(), 'awn-chromium-'));
    const r = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${report}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    await rm(profile, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    const figures = r.stdout.match(/<figure id="chart-[^"]+" class="chart">[\s\S]*?<\/figure>/g) ?? [];
    const ids = figures.map((f) => /chart-([^"]+)/.exec(f)![1]);
    assert.deepEqual(ids, [
      'likelihood',
      'validation',
      'widths',
      'total-width',
      'loss',
      'samples-per-second',
      'truncation',
    ]);
    for (const f of figures) {
      assert.match(f, /<svg[^>]*width="\d+"/, 'an sized SVG');
      assert.ok((f.match(/<path/g) ?? []).length >= 3, 'with drawn marks and axes');
    }
  });
});
