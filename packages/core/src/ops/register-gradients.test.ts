import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';
import { buildExperiment } from '../experiment/build-experiment.js';
import { parseRunConfig } from '../experiment/parse-config.js';
import { trainStep } from '../train/fit.js';
import { textSplit } from '../data/text/text-split.js';
import { encodeBytes } from '../data/text/byte-tokenizer.js';
import './register-gradients.js';
import { FUSED } from './fused.js';

/** Kernels whose outputs carry no gradient (comparisons feed masks, never the loss's inputs). */
const NOT_DIFFERENTIABLE = new Set([
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
]);

async function kernelsOfOneStep(config: unknown, data?: Parameters<typeof buildExperiment>[2]): Promise<string[]> {
  const exp = buildExperiment(parseRunConfig(config), {}, data);
  const info = await tf.profile(async () => {
    await trainStep({ model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 1 }, 0);
  });
  // profile() also lists scope names (e.g. 'backward'); keep the names of real kernels.
  return [...new Set(info.kernelNames)].filter((k) => tf.getKernel(k, 'cpu') !== undefined).sort();
}

test('every kernel a training step of the MLP and the Transformer runs has its gradient registered (without @tensorflow/tfjs)', async () => {
  await selectBackend('cpu');
  const mlp = await kernelsOfOneStep({ data: { dataset: 'spiral' }, training: { steps: 1, batchSize: 8 } });
  const text = encodeBytes('Call me Ishmael. Some years ago, never mind how long precisely. '.repeat(8));
  const split = textSplit('t', text, 16);
  const transformer = await kernelsOfOneStep(
    {
      data: { dataset: 'text', path: 'unused', sequenceLength: 16 },
      model: { type: 'transformer', blocks: 1, dModel: 16, heads: 2, context: 16 },
      training: { steps: 1, batchSize: 4 },
    },
    { splits: { train: split, validation: undefined, test: split } },
  );
  for (const k of ['BatchMatMul', 'Relu6']) assert.ok(mlp.includes(k), `the MLP step runs ${k}`);
  for (const k of ['BatchMatMul', 'GatherV2']) assert.ok(transformer.includes(k), `the Transformer step runs ${k}`);
  // The attention softmax is tfjs's, or the fused kernel of @awn/kernels-blas when it is built.
  assert.ok(
    transformer.includes('Softmax') || transformer.includes(FUSED.causalSoftmax),
    'the Transformer step runs a softmax',
  );
  // The fused kernels run only inside custom gradients (ops/fused.ts), which supply the gradient.
  const fused = new Set<string>(Object.values(FUSED));
  const missing = [...new Set([...mlp, ...transformer])].filter(
    (k) => !NOT_DIFFERENTIABLE.has(k) && !fused.has(k) && tf.getGradient(k) === undefined,
  );
  assert.deepEqual(missing, [], `kernels without a gradient: ${missing.join(', ')}`);
});

test('the vendored gradient bundle was made from the installed tfjs-core version', async () => {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const version = (
    JSON.parse(
      await readFile(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const bundle = await readFile(new URL('../../vendor/tfjs-gradients.mjs', import.meta.url), 'utf8');
  assert.match(
    bundle.slice(0, 200),
    new RegExp(`from @tensorflow/tfjs-core ${version.replace(/\./g, '\\.')}\\n`),
    'rerun packages/core/scripts/bundle-gradients.mjs after upgrading tfjs-core',
  );
});
