import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunConfig } from '@awn/core';
import { awn, root } from '../commands/cli-harness.test.util.js';
import { checkMemory } from './memory-check.js';

async function largeConfig(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(root, 'examples/large.json'), 'utf8'));
}

describe('awn train memory check', () => {
  it('the ≥100M example needs several GiB and fits in 1 TiB but not in 2 GiB; workers multiply it', async () => {
    const config = parseRunConfig(await largeConfig());
    const roomy = checkMemory(config, { processes: 1, memoryLimit: 2 ** 40 });
    assert.ok(roomy.fits);
    assert.ok(roomy.estimate.parameters >= 100e6, `${roomy.estimate.parameters} parameters`);
    assert.ok(roomy.estimate.peakBytes > 3 * 2 ** 30);
    const tight = checkMemory(config, { processes: 1, memoryLimit: 2 * 2 ** 30 });
    assert.equal(tight.fits, false);
    assert.match(tight.problem!, /needs about .* GiB but the --memory-limit is 2\.00 GiB/);
    const pair = checkMemory(config, { processes: 2, memoryLimit: roomy.estimate.peakBytes * 1.5 });
    assert.equal(pair.fits, false, 'two workers need twice the memory');
  });

  it('the wasm backend refuses a run whose tensors exceed its 4 GiB heap, pointing to --backend cpu', async () => {
    const config = parseRunConfig({ ...(await largeConfig()), backend: 'wasm', training: { steps: 1, batchSize: 16 } });
    const check = checkMemory(config, { processes: 1, memoryLimit: 2 ** 40 });
    assert.equal(check.fits, false);
    assert.match(check.problem!, /wasm backend's 4 GiB heap: use --backend cpu/);
  });

  it('--dry-run prints the terms and the verdict; an impossible model is refused at start-up with exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'awn-memory-'));
    try {
      const dry = await awn(['train', '--config', 'examples/large.json', '--dry-run', '--memory-limit', '1T']);
      assert.equal(dry.code, 0, dry.stderr);
      for (const term of [
        'parameters',
        'optimizer state (adam)',
        'activations per batch',
        'estimated peak per process',
        'fits: yes',
      ]) {
        assert.ok(dry.stdout.includes(term), `dry run lacks '${term}':\n${dry.stdout}`);
      }
      const huge = join(dir, 'huge.json');
      const config = await largeConfig();
      await writeFile(
        huge,
        JSON.stringify({ ...config, model: { ...(config.model as object), blocks: 400, dModel: 8192, heads: 16 } }),
      );
      const out = join(dir, 'run');
      const refused = await awn(['train', '--config', huge, '--out', out]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /awn: not starting: the run needs about .* TiB but what the OS has available now/);
      assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
      await assert.rejects(readFile(join(out, 'config.json')), 'no run directory was written');
      const dryHuge = await awn(['train', '--config', huge, '--dry-run']);
      assert.equal(dryHuge.code, 2);
      assert.match(dryHuge.stdout, /fits: NO/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
