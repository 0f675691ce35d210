import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createOptimizer,
  loadTrainingState,
  parseRunConfig,
  saveTrainingState,
  selectBackend,
  TransformerLm,
} from '@awn/core';
import { awn, literal, trainDoubleMoon } from './cli-harness.test.util.js';

/** A small untrained language model: training one takes minutes, and sampling needs no skill to be checked. */
const MODEL = { blocks: 1, dModel: 16, heads: 2, context: 16, adaptive: true, seed: 5 };

describe('awn generate', { timeout: 300_000 }, () => {
  let dir = '';
  let lmRun = '';
  let lmCheckpoint = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-generate-'));
    lmRun = join(dir, 'lm');
    lmCheckpoint = join(lmRun, 'checkpoints', 'step-00000007.awnckpt');
    const { seed, ...model } = MODEL;
    const runConfig = parseRunConfig({
      name: 'lm',
      seed,
      backend: 'cpu',
      data: { dataset: 'moby-dick' },
      model: { type: 'transformer', ...model },
      training: { steps: 7 },
    });
    await saveTrainingState(lmCheckpoint, {
      model: new TransformerLm(MODEL),
      optimizer: createOptimizer(runConfig.training.optimizer),
      step: 7,
      cursor: {},
      extra: { runConfig },
    });
    // The reference samples below are drawn in this process with the backend the CLI is told to use.
    await selectBackend('cpu');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function expected(prompt: string, n: number, temperature: number, topK: number, seed: number): Promise<string> {
    const { model } = await loadTrainingState(lmCheckpoint);
    assert.ok(model instanceof TransformerLm);
    return `${prompt}${model.generate(prompt, n, temperature, topK, seed)}\n`;
  }

  it('prints the prompt and the continuation the model samples with the given flags', async () => {
    const r = await awn([
      'generate',
      lmRun,
      '--prompt',
      'Call me',
      '--length',
      '24',
      '--temperature',
      '0.5',
      '--top-k',
      '7',
      '--seed',
      '3',
      '--backend',
      'cpu',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, await expected('Call me', 24, 0.5, 7, 3));
  });

  it('uses length 200, temperature 0.8, top-k 40 and seed 1 by default, and a seed changes the sample', async () => {
    const r = await awn(['generate', lmCheckpoint, '--prompt', 'Ishmael']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, await expected('Ishmael', 200, 0.8, 40, 1));
    const other = await awn(['generate', lmCheckpoint, '--prompt', 'Ishmael', '--seed', '2']);
    assert.equal(other.code, 0, other.stderr);
    assert.notEqual(other.stdout, r.stdout);
  });

  it('refuses a checkpoint that is not a language model with exit code 2', async () => {
    const moon = join(dir, 'moon');
    await trainDoubleMoon(moon, 20);
    const r = await awn(['generate', moon, '--prompt', 'Call me']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /awn generate needs a language-model checkpoint \(model type 'transformer'\); .*step-00000020\.awnckpt holds a 'mlp' model/,
    );
  });

  const bad: [string, string[], RegExp][] = [
    ['no --prompt', [], /required option '-p, --prompt <text>' not specified/],
    ['--length 0', ['--prompt', 'a', '--length', '0'], /--length must be an integer in \[1, 100000\], got '0'/],
    ['a negative --temperature', ['--prompt', 'a', '--temperature', '-1'], /--temperature must be a number ≥ 0/],
    [
      'a fractional --top-k',
      ['--prompt', 'a', '--top-k', '2.5'],
      /--top-k must be an integer in \[0, 256\], got '2\.5'/,
    ],
  ];
  for (const [what, flags, message] of bad) {
    it(`${what} is exit code 2 naming the flag`, async () => {
      const r = await awn(['generate', lmRun, ...flags]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a missing checkpoint is exit code 2 naming it', async () => {
    const missing = join(dir, 'nothing.awnckpt');
    const r = await awn(['generate', missing, '--prompt', 'a']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, literal(`${missing} does not exist`));
  });
});
