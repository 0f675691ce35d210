import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn, root } from './cli-harness.test.util.js';

const moon = join(root, 'examples/doublemoon.json');

/** The DoubleMoon example with one change, written into `dir`. */
async function variant(dir: string, name: string, change: (c: Record<string, any>) => void): Promise<string> {
  const c = JSON.parse(await readFile(moon, 'utf8'));
  change(c);
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(c));
  return path;
}

describe('usage errors: exit 2, one line naming the flag or field and its range, nothing created', {
  timeout: 600_000,
}, () => {
  let dir = '';
  let cwd = '';
  const configs: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-usage-'));
    cwd = join(dir, 'cwd');
    await mkdir(cwd);
    configs.batch = await variant(dir, 'batch', (c) => (c.training.batchSize = 1e9));
    configs.lr = await variant(dir, 'lr', (c) => (c.training.optimizer.learningRate = 1e300));
    configs.layers = await variant(dir, 'layers', (c) => (c.model.hiddenLayers = 100000));
    configs.batch4 = await variant(dir, 'batch4', (c) => (c.training.batchSize = 4));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: [string, () => string[], RegExp][] = [
    [
      'batch 1e9',
      () => ['train', '--config', configs.batch],
      /training\.batchSize must be at most 1048576.*got 1000000000/,
    ],
    [
      'lr 1e300',
      () => ['train', '--config', configs.lr],
      /training\.optimizer\.learningRate must be at most 1000000.*got 1e\+300/,
    ],
    [
      'hiddenLayers 100000',
      () => ['train', '--config', configs.layers],
      /model\.hiddenLayers must be at most 1024.*got 100000/,
    ],
    [
      '--min-workers above --workers',
      () => ['train', '--config', moon, '--workers', '2', '--min-workers', '3'],
      /--min-workers must be in \[1, --workers = 2\], got 3/,
    ],
    [
      '--min-workers without --workers',
      () => ['train', '--config', moon, '--min-workers', '2'],
      /--min-workers only applies with --workers N/,
    ],
    [
      '--workers above the batch',
      () => ['train', '--config', configs.batch4, '--workers', '6'],
      /--workers must be at most training\.batchSize \(4\).*got 6/,
    ],
    [
      '--workers far above the cores',
      () => ['train', '--config', configs.batch, '--workers', '100000'],
      /training\.batchSize|--workers must be at most/,
    ],
    [
      '--metrics-port 70000',
      () => ['train', '--config', moon, '--workers', '2', '--metrics-port', '70000'],
      /--metrics-port must be an integer in \[0, 65535\], got '70000'/,
    ],
    [
      '--backend bogus',
      () => ['train', '--config', moon, '--backend', 'bogus'],
      /--backend <name>' argument 'bogus' is invalid\. Allowed choices are auto, tensorflow, wasm, cpu/,
    ],
    [
      '--out /sys/x',
      () => ['train', '--config', moon, '--out', '/sys/x'],
      /--out \/sys\/x: cannot create the run directory here/,
    ],
    [
      '--out /sys/x with workers',
      () => ['train', '--config', moon, '--workers', '2', '--out', '/sys/x'],
      /--out \/sys\/x: cannot create the run directory here/,
    ],
    [
      '--out /proc/awnrun',
      () => ['train', '--config', moon, '--out', '/proc/awnrun'],
      /--out \/proc\/awnrun: cannot create the run directory here/,
    ],
    [
      'generate --length 1e9',
      () => ['generate', dir, '--prompt', 'x', '--length', '1e9'],
      /--length must be an integer in \[1, 100000\], got '1e9'/,
    ],
    [
      'coordinator --port 70000',
      () => ['coordinator', '--config', moon, '--port', '70000'],
      /--port must be an integer in \[0, 65535\]/,
    ],
    [
      'coordinator --min-workers above --workers',
      () => ['coordinator', '--config', moon, '--workers', '2', '--min-workers', '3'],
      /--min-workers must be in \[1, --workers = 2\], got 3/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await awn(args(), 120_000, {}, cwd);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(await readdir(cwd), [], 'no runs/ directory or anything else created');
    });
  }
});
