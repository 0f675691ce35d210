import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './select-backend.js';

describe('selectBackend', () => {
  it('auto falls back to wasm when no native TensorFlow package loads, and says why', async () => {
    const logged: string[] = [];
    const info = await selectBackend('auto', { info: (_o, msg) => void logged.push(msg) });
    if (info.name === 'tensorflow') return; // a machine with tfjs-node installed legitimately picks it
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(
      info.skipped.some((s) => s.name === '@tensorflow/tfjs-node' && /not installed|did not load/.test(s.reason)),
    );
    assert.ok(logged[0]?.startsWith('tensor backend: wasm'), logged.join());
  });
  it('a named backend is used as asked', async () => {
    assert.equal((await selectBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal((await selectBackend('wasm')).name, 'wasm');
  });
  it('an unknown backend is a clear error', async () => {
    await assert.rejects(selectBackend('webgpu' as never), /unknown backend 'webgpu'/);
  });
  it('asking for tensorflow without the package fails loudly instead of falling back', async (t) => {
    try {
      await import('@tensorflow/tfjs-node' as string);
      t.skip('tfjs-node is installed here');
      return;
    } catch {
      await assert.rejects(selectBackend('tensorflow'), /backend 'tensorflow' is not available/);
    }
  });
});
