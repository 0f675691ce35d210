import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseRunConfig } from '@awn/core';
import { ROOT } from './helpers.js';

/** Every run config the repository ships: examples and the one the Kubernetes manifests mount. */
async function shippedConfigs(): Promise<string[]> {
  const examples = (await readdir(join(ROOT, 'examples')))
    .filter((f) => /\.(json|ya?ml)$/.test(f))
    .map((f) => join('examples', f));
  return [...examples, 'infra/k8s/base/train.json'];
}

describe('shipped run configs', () => {
  it('every example and the Kubernetes train.json validate against the run-config schema', async () => {
    const files = await shippedConfigs();
    assert.ok(files.length >= 5, files.join());
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8');
      const value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      assert.doesNotThrow(() => parseRunConfig(value, file), file);
    }
  });
});
